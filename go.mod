module github.com/rapportbot/rapport

go 1.26

require go.yaml.in/yaml/v3 v3.0.6

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/nyaruka/phonenumbers v1.8.1 // indirect
	golang.org/x/text v0.23.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
