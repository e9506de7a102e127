package scrapers_test

// This package's tests have no golden files, but `make golden` runs
// `go test ./scrapers/... -update`, and a test binary rejects a flag it does
// not define: importing scrapertest registers -update here too.
import _ "github.com/patchwatch/patchwatch/scrapers/scrapertest"
