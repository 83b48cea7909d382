// Command ouigen turns the IEEE MAC address registries into the compact
// table fingerprint embeds. It reads npm's oui-data package (index.json: one
// key per MA-L, MA-M or MA-S block, 6, 7 or 9 hex digits, mapped to the
// organisation's name and address), which tracks the IEEE files, plus the
// closed IAB registry as a CSV; or, with -dir, the CSV files of Debian's
// ieee-data package (oui.csv, mam.csv, oui36.csv, iab.csv). It writes one
// "PREFIX<TAB>ORGANISATION" line per block,
// PREFIX being 6 (MA-L), 7 (MA-M) or 9 (MA-S, IAB) upper-case hex digits,
// sorted, gzip-compressed without a timestamp so that regenerating from the
// same registry gives the same bytes.
//
// Usage (from fingerprint/; `make refresh-data` runs the first form):
//
//	go run ./internal/ouigen -oui-data package/index.json -iab /usr/share/ieee-data/iab.csv -out oui.tsv.gz
//	go run ./internal/ouigen -dir /usr/share/ieee-data -out oui.tsv.gz
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// registries names the files read, with the prefix length (hex digits) each
// holds. A missing iab.csv is tolerated: IEEE closed the IAB registry and
// newer ieee-data releases may drop it.
var registries = []struct {
	file     string
	digits   int
	optional bool
}{
	{"oui.csv", 6, false},
	{"mam.csv", 7, false},
	{"oui36.csv", 9, false},
	{"iab.csv", 9, true},
}

func main() {
	dir := flag.String("dir", "", "directory holding Debian ieee-data's CSV files")
	ouiData := flag.String("oui-data", "", "index.json of npm's oui-data package")
	iab := flag.String("iab", "", "the IAB registry's CSV (with -oui-data; optional)")
	out := flag.String("out", "oui.tsv.gz", "output file")
	flag.Parse()
	var err error
	switch {
	case *ouiData != "" && *dir == "":
		err = runOUIData(*ouiData, *iab, *out)
	case *dir != "" && *ouiData == "":
		err = run(*dir, *out)
	default:
		err = errors.New("ouigen: give -oui-data FILE or -dir DIR")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ouigen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	table := map[string]string{}
	for _, r := range registries {
		f, err := os.Open(filepath.Join(dir, r.file))
		if err != nil {
			if r.optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("ouigen: open: %w", err)
		}
		n, err := readRegistry(f, r.digits, table)
		f.Close()
		if err != nil {
			return fmt.Errorf("ouigen: %s: %w", r.file, err)
		}
		fmt.Fprintf(os.Stderr, "ouigen: %s: %d blocks\n", r.file, n)
	}
	return write(table, out)
}

// runOUIData builds the table from oui-data's index.json and, when given,
// the IAB CSV. An MA-S block and an IAB block never share a prefix (both
// are carved from IEEE-held MA-L blocks, from different ones).
func runOUIData(index, iab, out string) error {
	f, err := os.Open(index)
	if err != nil {
		return fmt.Errorf("ouigen: open: %w", err)
	}
	defer f.Close()
	table := map[string]string{}
	counts, err := readOUIData(f, table)
	if err != nil {
		return fmt.Errorf("ouigen: %s: %w", index, err)
	}
	fmt.Fprintf(os.Stderr, "ouigen: %s: MA-L %d, MA-M %d, MA-S %d blocks\n", index, counts[6], counts[7], counts[9])
	if iab != "" {
		g, err := os.Open(iab)
		if err != nil {
			return fmt.Errorf("ouigen: open: %w", err)
		}
		n, err := readRegistry(g, 9, table)
		g.Close()
		if err != nil {
			return fmt.Errorf("ouigen: %s: %w", iab, err)
		}
		fmt.Fprintf(os.Stderr, "ouigen: %s: %d blocks\n", iab, n)
	}
	return write(table, out)
}

// readOUIData adds oui-data's blocks to table: the key is the prefix, the
// value's first line the organisation (the rest is its address).
func readOUIData(r io.Reader, table map[string]string) (map[int]int, error) {
	var m map[string]string
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	counts := map[int]int{}
	for k, v := range m {
		prefix := strings.ToUpper(strings.TrimSpace(k))
		if n := len(prefix); (n != 6 && n != 7 && n != 9) || !isHex(prefix) {
			return nil, fmt.Errorf("bad prefix %q", k)
		}
		name, _, _ := strings.Cut(v, "\n")
		org := strings.Join(strings.Fields(name), " ")
		if org == "" {
			continue
		}
		table[prefix] = org
		counts[len(prefix)]++
	}
	return counts, nil
}

// readRegistry adds the rows of one registry CSV (Registry, Assignment,
// Organization Name, Organization Address) to table.
func readRegistry(r io.Reader, digits int, table map[string]string) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	n := 0
	for line := 0; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read: %w", err)
		}
		if line == 0 || len(rec) < 3 {
			continue // header
		}
		prefix := strings.ToUpper(strings.TrimSpace(rec[1]))
		if len(prefix) != digits || !isHex(prefix) {
			return n, fmt.Errorf("line %d: bad assignment %q for %d-digit registry", line+1, rec[1], digits)
		}
		org := strings.Join(strings.Fields(rec[2]), " ")
		if org == "" {
			continue
		}
		table[prefix] = org
		n++
	}
}

// write encodes the table and writes it to out.
func write(table map[string]string, out string) error {
	data, err := encode(table)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("ouigen: write: %w", err)
	}
	fmt.Fprintf(os.Stderr, "ouigen: %d prefixes, %d bytes -> %s\n", len(table), len(data), out)
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func encode(table map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("ouigen: gzip: %w", err)
	}
	for _, k := range keys {
		// Tabs and newlines cannot occur: org was re-joined on single spaces.
		fmt.Fprintf(zw, "%s\t%s\n", k, table[k])
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("ouigen: gzip: %w", err)
	}
	return buf.Bytes(), nil
}
