package registryfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/camsweep/camsweep/inventory"
)

// maxFileBytes bounds a registry file read from disk. A registry of 100,000
// cameras is a few tens of MB as CSV and less as a workbook.
const maxFileBytes = 256 << 20

// Load reads registry files as one registry, as inventory.LoadRegistries
// does, and reads Excel workbooks too. An ID used twice, in one file or
// across files, is an error on the later row. Every problem in every file is
// returned; the Registry holds exactly the rows that had none.
func Load(paths []string, mapping inventory.ColumnMap) (*inventory.Registry, []error) {
	l := inventory.NewRegistryLoader(mapping)
	for _, p := range paths {
		data, err := readFile(p)
		if err != nil {
			l.Fail(fmt.Errorf("registryfile: load registry: %w", err))
			continue
		}
		add(l, p, data, mapping.Sheet)
	}
	return l.Result()
}

// Parse reads one registry from data, as inventory.ParseRegistry does, and
// reads Excel workbooks too: a name ending in .xlsx or .xlsm, or data that
// starts like a workbook. mapping.Sheet picks the sheet.
func Parse(name string, data []byte, mapping inventory.ColumnMap) (*inventory.Registry, []error) {
	l := inventory.NewRegistryLoader(mapping)
	add(l, name, data, mapping.Sheet)
	return l.Result()
}

// IsWorkbook reports whether a registry file is read as a workbook.
func IsWorkbook(name string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm", ".xls":
		return true
	case ".csv", ".txt", ".json", ".yaml", ".yml":
		return false
	}
	return inventory.IsWorkbook(data)
}

func add(l *inventory.RegistryLoader, name string, data []byte, sheet string) {
	if IsWorkbook(name, data) {
		readWorkbook(l, name, data, sheet, defaults)
		return
	}
	l.Parse(name, data)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, errors.New(path + ": larger than 256 MB; not a registry")
	}
	return data, nil
}
