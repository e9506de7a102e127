package scrapers

import (
	"reflect"
	"strings"
)

// scrubNUL removes NUL bytes from every string of a parse result, however
// deep (titles, summaries, sections, remedies...). A NUL from a hostile or
// broken page would otherwise be stored, indexed and exported raw, where
// C-string consumers of a CSV or a terminal cut the text at it. Parsers
// need not think about it: the harvest, reparse and the parse command all
// scrub what a parser returns. It walks the value by reflection so that a
// field added to the schema is covered without a change here (maps are not
// walked: the schema has none).
func scrubNUL(p *Parsed) {
	scrubValue(reflect.ValueOf(p).Elem())
}

func scrubValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); strings.IndexByte(s, 0) >= 0 && v.CanSet() {
			v.SetString(strings.ReplaceAll(s, "\x00", ""))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scrubValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes, not text
		}
		for i := range v.Len() {
			scrubValue(v.Index(i))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scrubValue(v.Elem())
		}
	}
}
