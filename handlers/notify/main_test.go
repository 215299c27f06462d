package notify

import (
	"os"
	"testing"

	"github.com/rapportbot/rapport/storage/redistest"
)

// TestMain runs the tests through redistest.M, which stops the Redis Cluster they share under
// RAPPORT_TEST_REDIS_CLUSTER=1.
func TestMain(m *testing.M) { os.Exit(redistest.M(m).Run()) }
