// Package deploy holds what an installer needs besides the binary: the Slack
// app manifest, the Dockerfile, a compose file with Redis (AOF on), an
// example environment file, Kubernetes manifests (k8s/, kustomize-able) and a
// Grafana dashboard of Rapport's Prometheus metrics (grafana/rapport.json).
//
// The manifest is embedded so that `rapport manifest` prints the exact text
// to paste into Slack's "Create app from manifest" dialog, and so that a
// released binary and its manifest can never disagree. The HTTP-mode manifest
// (`rapport manifest http BASE_URL`) is built from it by HTTPManifest.
package deploy

import _ "embed"

// Manifest is the Slack app manifest (YAML) for a Socket Mode install of Rapport.
//
//go:embed manifest.yaml
var Manifest []byte
