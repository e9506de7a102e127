// Package safefile writes output files without following symlinks.
//
// `export --out` and `report --out` write into folders an operator may
// share. Opening the output path with os.Create would follow a symlink
// planted there and overwrite whatever it points at (issue 15). Instead the
// data goes to a fresh temporary file in the same folder (created
// exclusively, so never through a link) and is renamed over the path:
// rename replaces a symlink itself, never its target. A reader of the path
// sees the old file or the whole new one, never half of it.
package safefile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes data to path as described in the package comment.
func Write(path string, data []byte) error {
	return WriteFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc writes what fill writes to path, as described in the package
// comment. If fill fails, path is left as it was.
func WriteFunc(path string, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if info, err := os.Lstat(path); err == nil && info.IsDir() {
		return fmt.Errorf("write %s: is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
