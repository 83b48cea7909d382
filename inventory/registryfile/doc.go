// Package registryfile reads camera registry files in every format camsweep
// accepts: CSV, JSON and YAML through inventory, and Excel workbooks (.xlsx),
// the form an official registry is often kept in, which it opens itself.
//
// Workbooks live here rather than in inventory so that inventory's core
// (validation and reconciliation) links no zip, XML or spreadsheet code. A
// sheet is read row by row (excelize's streaming Rows iterator), checked and
// mapped exactly as a CSV file is, and every problem names its cell:
// "noh.xlsx: Kameraer!C7: ...".
package registryfile
