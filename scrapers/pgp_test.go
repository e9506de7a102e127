package scrapers

import (
	"strings"
	"testing"
)

func TestUnsign(t *testing.T) {
	const sigBlock = "-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"unsigned text passes through", "Title\n=====\n\nbody\n", "Title\n=====\n\nbody\n"},
		{"unsigned CRLF becomes LF", "a\r\nb\r\n", "a\nb\n"},
		{"signed", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nline one\nline two\n" + sigBlock,
			"line one\nline two\n"},
		{"text before the armour is dropped", "preamble\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\nbody\n" + sigBlock,
			"body\n"},
		{"dash-escaping removed", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n- -----\n- --- quoted\nplain - dash\n" + sigBlock,
			"-----\n--- quoted\nplain - dash\n"},
		{"CRLF", strings.ReplaceAll("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n- -- x\ny\n"+sigBlock, "\n", "\r\n"),
			"-- x\ny\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Unsign(tc.in)
			if err != nil {
				t.Fatalf("Unsign: %v", err)
			}
			if got != tc.want {
				t.Errorf("Unsign = %q, want %q", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"missing signature block", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nbody cut short\n", "no signature block (truncated page?)"},
		{"missing body", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256", "no body (truncated page?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Unsign(tc.in)
			if err == nil {
				t.Fatalf("Unsign = %q, want an error saying %q", got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}
