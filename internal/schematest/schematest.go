// Package schematest validates export documents against the official OSV
// and CSAF 2.0 JSON schemas, embedded from this folder (README.md records
// where each file comes from). Only tests import it.
//
// Validation uses github.com/santhosh-tekuri/jsonschema/v6, a maintained
// implementation of drafts 4 to 2020-12 with format assertions, instead of a
// hand-written validator that can drift from the schema (the one it replaces
// followed an older OSV schema and passed records the real one rejects).
package schematest

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.json
var files embed.FS

// Schema names.
const (
	OSV  = "osv-schema.json"
	CSAF = "csaf-2.0.json"
)

// refs are the URLs the CSAF schema's $refs name, served from the copies.
var refs = map[string]string{
	"https://www.first.org/cvss/cvss-v2.0.json": "cvss-v2.0.json",
	"https://www.first.org/cvss/cvss-v3.0.json": "cvss-v3.0.json",
	"https://www.first.org/cvss/cvss-v3.1.json": "cvss-v3.1.json",
}

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

func load(c *jsonschema.Compiler, url, file string) error {
	b, err := files.ReadFile(file)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return c.AddResource(url, doc)
}

// Schema returns the compiled schema called name (OSV or CSAF).
func Schema(name string) (*jsonschema.Schema, error) {
	mu.Lock()
	defer mu.Unlock()
	if s := compiled[name]; s != nil {
		return s, nil
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, file := range refs {
		if err := load(c, url, file); err != nil {
			return nil, err
		}
	}
	url := "file:///schemas/" + name
	if err := load(c, url, name); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", name, err)
	}
	compiled[name] = s
	return s, nil
}

// Validate checks one JSON document against the schema called name and
// returns the schema's complaints, nil when the document is valid.
func Validate(name string, doc []byte) error {
	s, err := Schema(name)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(v)
}
