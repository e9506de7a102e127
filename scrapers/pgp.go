package scrapers

import (
	"errors"
	"strings"
)

// Unsign strips OpenPGP clear-signing from an advisory's text: the armour
// header, the signature block and dash-escaping. CRLF line ends become LF.
// Unsigned text is returned as is; a signed text without its body or its
// signature block is reported as truncated. Vendors that publish signed
// advisories (Xen's advisory-N.txt, VMware's mailing-list archive) share it.
func Unsign(s string) (string, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	const begin, sig = "-----BEGIN PGP SIGNED MESSAGE-----", "-----BEGIN PGP SIGNATURE-----"
	start := strings.Index(s, begin)
	if start < 0 {
		return s, nil
	}
	s = s[start+len(begin):]
	// Armour headers ("Hash: SHA256") run to the first blank line.
	blank := strings.Index(s, "\n\n")
	if blank < 0 {
		return "", errors.New("PGP-signed text has no body (truncated page?)")
	}
	s = s[blank+2:]
	end := strings.Index(s, sig)
	if end < 0 {
		return "", errors.New("PGP-signed text has no signature block (truncated page?)")
	}
	lines := strings.Split(s[:end], "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "- ")
	}
	return strings.Join(lines, "\n"), nil
}
