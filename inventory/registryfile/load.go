package registryfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/camsweep/camsweep/inventory"
)

// Load reads registry files as one registry, as inventory.LoadRegistries
// does, and reads Excel workbooks too. An ID used twice, in one file or
// across files, is an error on the later row. Every problem in every file is
// returned; the Registry holds exactly the rows that had none.
func Load(paths []string, mapping inventory.ColumnMap) (*inventory.Registry, []error) {
	l := inventory.NewRegistryLoader(mapping)
	LoadInto(l, paths)
	return l.Result()
}

// LoadInto reads registry files into l, under its limits and context: text
// files as a stream (only the loaded rows are held), workbooks whole (a zip
// is read by seeking), bounded by the loader's max_bytes.
func LoadInto(l *inventory.RegistryLoader, paths []string) {
	for _, p := range paths {
		if l.Stopped() != nil {
			return
		}
		loadFile(l, p, l.Mapping().Sheet)
	}
}

func loadFile(l *inventory.RegistryLoader, path, sheet string) {
	f, err := os.Open(path)
	if err != nil {
		l.Fail(fmt.Errorf("registryfile: load registry: %w", err))
		return
	}
	defer f.Close()
	in := bufio.NewReader(f)
	head, _ := in.Peek(8)
	if !IsWorkbook(path, head) {
		l.Read(path, in)
		return
	}
	max := l.Limits().MaxBytesOrDefault()
	data, err := io.ReadAll(io.LimitReader(in, max+1))
	if err != nil {
		l.Fail(fmt.Errorf("registryfile: load registry: %w", err))
		return
	}
	if int64(len(data)) > max {
		l.Fail(&inventory.LimitError{File: path, Limit: "max_bytes", Value: max, What: fmt.Sprintf("a workbook larger than %d bytes", max)})
		return
	}
	readWorkbook(l, path, data, sheet, defaults)
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
