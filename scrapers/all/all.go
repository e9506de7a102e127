// Package all registers every vendor source. Importing it is how a program
// gets the full set; adding a vendor adds one line here.
package all

import (
	// Each import registers its source in init.
	_ "github.com/patchwatch/patchwatch/scrapers/citrix"
	_ "github.com/patchwatch/patchwatch/scrapers/microsoft"
	_ "github.com/patchwatch/patchwatch/scrapers/oracle"
	_ "github.com/patchwatch/patchwatch/scrapers/redhatkvm"
	_ "github.com/patchwatch/patchwatch/scrapers/virtuozzo"
	_ "github.com/patchwatch/patchwatch/scrapers/vmware"
	_ "github.com/patchwatch/patchwatch/scrapers/xen"
)
