package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/registryfile"
)

// registryHelp is the --registry flag's help, shared by the commands that
// take registries.
const registryHelp = "camera registry file (CSV, JSON, YAML or an Excel .xlsx workbook); repeatable"

// registerSheet adds --sheet, the worksheet of .xlsx registries to read.
func registerSheet(cmd *cobra.Command, sheet *string) {
	cmd.Flags().StringVar(sheet, "sheet", "", "the sheet of .xlsx registries that holds the registry (default: the column map's sheet, else the first visible sheet)")
}

// registerRegistryLimits adds the flags that raise what a registry may
// hold (inventory.Limits; 0 keeps a default).
func registerRegistryLimits(cmd *cobra.Command, lim *inventory.Limits) {
	fl := cmd.Flags()
	fl.IntVar(&lim.MaxRows, "registry-max-rows", 0, fmt.Sprintf("most registry rows loaded, all files together (default %d)", inventory.DefaultMaxRows))
	fl.Int64Var(&lim.MaxBytes, "registry-max-bytes", 0, fmt.Sprintf("largest registry file, in bytes (default %d)", inventory.DefaultMaxBytes))
	fl.IntVar(&lim.MaxRecordBytes, "registry-max-record-bytes", 0, fmt.Sprintf("longest CSV record or JSON row, in bytes (default %d)", inventory.DefaultMaxRecordBytes))
	fl.Int64Var(&lim.MaxYAMLBytes, "registry-max-yaml-bytes", 0, fmt.Sprintf("largest YAML registry, which is read whole, in bytes (default %d)", inventory.DefaultMaxYAMLBytes))
}

// checkLimits refuses a negative limit: 0 means the default, and no limit
// at all is not offered.
func checkLimits(lim inventory.Limits) error {
	for _, l := range []struct {
		flag string
		v    int64
	}{{"--registry-max-rows", int64(lim.MaxRows)}, {"--registry-max-bytes", lim.MaxBytes},
		{"--registry-max-record-bytes", int64(lim.MaxRecordBytes)}, {"--registry-max-yaml-bytes", lim.MaxYAMLBytes}} {
		if l.v < 0 {
			return fmt.Errorf("%s %d: want a positive number (0 for the default)", l.flag, l.v)
		}
	}
	return nil
}

// loadRegistries reads the registry files with the column map at
// mappingPath (none when empty); sheet, when given, overrides the map's.
// Cancelling ctx (Ctrl-C, SIGTERM) ends a long load.
func loadRegistries(ctx context.Context, files []string, mappingPath, sheet string, lim inventory.Limits) (*inventory.Registry, []error, error) {
	if err := checkLimits(lim); err != nil {
		return nil, nil, err
	}
	var mapping inventory.ColumnMap
	if mappingPath != "" {
		m, err := inventory.LoadColumnMap(mappingPath)
		if err != nil {
			return nil, nil, err
		}
		mapping = m
	}
	if sheet != "" {
		mapping.Sheet = sheet
	}
	l := inventory.NewRegistryLoader(mapping)
	l.SetLimits(lim)
	if ctx != nil {
		l.SetContext(ctx)
	}
	registryfile.LoadInto(l, files)
	reg, errs := l.Result()
	return reg, errs, nil
}
