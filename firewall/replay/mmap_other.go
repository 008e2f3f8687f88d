//go:build !linux

package replay

import "os"

// mapFile does not map files here: File reads them into memory instead.
func mapFile(*os.File, int64) ([]byte, func(), bool) { return nil, nil, false }
