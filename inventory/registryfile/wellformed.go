package registryfile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// excelize's row iterator ends quietly at the first XML syntax error in a
// worksheet (it drops the decoder's error), so a sheet broken half-way would
// lose every row below the break without a word. sheetWellFormed reads the
// sheet's part once more, as plain XML, to say where it breaks.

// sheetWellFormed reports the first XML syntax error in the worksheet part
// that holds the sheet named sheet, or nil. The part was already inflated
// within the unzip limit by excelize, so this pass is bounded by it too.
func sheetWellFormed(data []byte, sheet string) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	part, err := sheetPart(zr, sheet)
	if err != nil {
		return err
	}
	f, err := zr.Open(part)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	for {
		_, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			line, _ := dec.InputPos()
			return fmt.Errorf("the sheet's XML breaks at line %d of %s: %w", line, part, err)
		}
	}
}

// sheetPart finds the zip path of the named sheet through the workbook
// part and its relationships, as a spreadsheet program does.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(zr, "xl/workbook.xml", &wb); err != nil {
		return "", err
	}
	if err := decodePart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID != s.RID {
				continue
			}
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/"), nil
			}
			return path.Join("xl", r.Target), nil
		}
	}
	return "", fmt.Errorf("no worksheet part for sheet %q", sheet)
}

// maxIndexPart bounds the workbook and relationship parts read here; they
// list sheets, not cells.
const maxIndexPart = 4 << 20

func decodePart(zr *zip.Reader, name string, v any) error {
	f, err := zr.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return xml.NewDecoder(io.LimitReader(f, maxIndexPart)).Decode(v)
}
