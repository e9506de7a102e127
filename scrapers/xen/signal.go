package xen

import (
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/scrapers"
)

// noteVersionTime records an advisory text's change signal: the feed's
// version_time ("2020-11-24 12:03", UTC) is when its latest version was
// issued, so a text fetched after it has not changed. An empty time gives
// no signal and the text falls back to the revisit age.
func noteVersionTime(out *scrapers.Parsed, text, versionTime string) error {
	versionTime = strings.TrimSpace(versionTime)
	if versionTime == "" {
		return nil
	}
	at, err := time.Parse("2006-01-02 15:04", versionTime)
	if err != nil {
		return err
	}
	out.NoteChange(text, at)
	return nil
}
