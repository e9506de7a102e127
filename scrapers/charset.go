package scrapers

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// isText reports whether a Content-Type is one whose charset we convert:
// HTML and plain text. JSON and XML carry their own encoding rules and are
// left alone.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	return mt == "text/html" || mt == "text/plain" || mt == "application/xhtml+xml"
}

// ToUTF8 converts a text body to UTF-8 and returns the Content-Type to
// record with it. The encoding comes from a byte-order mark, the declared
// charset, or an HTML meta tag; failing those a body that is valid UTF-8 is
// kept and anything else is read as Windows-1252, which is what old vendor
// pages labelled "ISO-8859-1" or nothing at all really are.
func ToUTF8(body []byte, contentType string) ([]byte, string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "" {
		mt = "text/plain"
	}
	out := mt + "; charset=utf-8"
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if !certain {
		// A guess from a meta tag or the first kilobyte; the whole body
		// decides between UTF-8 and the legacy default.
		if utf8.Valid(body) {
			return body, out, nil
		}
		if name == "utf-8" || name == "windows-1252" || name == "" {
			enc, name = charmap.Windows1252, "windows-1252"
		}
	}
	if name == "utf-8" {
		body = bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))
		if !utf8.Valid(body) {
			// Declared UTF-8 but is not: replace the bad bytes so the
			// parsers never see invalid text, and keep going.
			return bytes.ToValidUTF8(body, []byte("\uFFFD")), out, nil
		}
		return body, out, nil
	}
	converted, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil {
		return nil, "", fmt.Errorf("convert from %s: %w", name, err)
	}
	return converted, out, nil
}
