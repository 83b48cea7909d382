package main

import (
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

// loadRegistries reads the registry files with the column map at
// mappingPath (none when empty); sheet, when given, overrides the map's.
func loadRegistries(files []string, mappingPath, sheet string) (*inventory.Registry, []error, error) {
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
	reg, errs := registryfile.Load(files, mapping)
	return reg, errs, nil
}
