package inventory

import "net/netip"

// Registry columns (docs/registry.md, "Columns"). These are the canonical names;
// a ColumnMap translates a site's own export headers to them.
const (
	ColID             = "id"
	ColSite           = "site"
	ColBuilding       = "building"
	ColLocation       = "location"
	ColIP             = "ip"
	ColMAC            = "mac"
	ColSerial         = "serial"
	ColVendor         = "vendor"
	ColModel          = "model"
	ColCategory       = "category"
	ColOwner          = "owner"
	ColVMS            = "vms"
	ColDispensationID = "dispensation_id"
)

// Columns lists the canonical registry columns in their documented order.
var Columns = []string{
	ColID, ColSite, ColBuilding, ColLocation, ColIP, ColMAC, ColSerial,
	ColVendor, ColModel, ColCategory, ColOwner, ColVMS, ColDispensationID,
}

// Allowed values of the enumerated columns. They are stored lower-case for
// category and vms, upper-case for owner, as the policy documents write them.
const (
	CategoryFacility = "facility" // corridors, entrances; owned by CEJ
	CategoryMedico   = "medico"   // clinical use; owned by CIMT

	OwnerCEJ  = "CEJ"
	OwnerCIMT = "CIMT"

	VMSMilestone = "milestone"  // the region's central VMS
	VMSClosedNet = "closed-net" // a separate closed network, allowed only under a dispensation
	VMSLocal     = "local"      // a local recorder: not the central VMS
)

// Row is one registered camera. Only rows that passed validation reach a
// Registry: IP is valid or the zero Addr, MAC is lower-case colon form or "".
type Row struct {
	ID             string     `json:"id" yaml:"id"`
	Site           string     `json:"site" yaml:"site"`
	Building       string     `json:"building" yaml:"building"`
	Location       string     `json:"location" yaml:"location"`
	IP             netip.Addr `json:"ip" yaml:"ip"`
	MAC            string     `json:"mac" yaml:"mac"`
	Serial         string     `json:"serial" yaml:"serial"`
	Vendor         string     `json:"vendor" yaml:"vendor"`
	Model          string     `json:"model" yaml:"model"`
	Category       string     `json:"category" yaml:"category"`
	Owner          string     `json:"owner" yaml:"owner"`
	VMS            string     `json:"vms" yaml:"vms"`
	DispensationID string     `json:"dispensation_id" yaml:"dispensation_id"`
	// Line is where the row starts in its file, so findings and errors can
	// point a registry keeper at it.
	Line int `json:"line" yaml:"-"`
}

// Registry is the official list of cameras, as loaded from one or more files.
type Registry struct {
	Rows []Row
}

// Merge appends other's rows to r; Reconcile reports duplicate IDs across
// files as registry conflicts, so merging never hides a row.
func (r *Registry) Merge(other *Registry) {
	if other != nil {
		r.Rows = append(r.Rows, other.Rows...)
	}
}
