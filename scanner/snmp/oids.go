package snmp

// The objects the harvest reads, by MIB. Columns are walked, never whole
// tables, so a 100,000-entry neighbour table costs one column's worth of
// requests, and only the columns a decoder needs.
const (
	// SNMPv2-MIB (RFC 3418).
	oidSysDescr    = ".1.3.6.1.2.1.1.1.0"
	oidSysObjectID = ".1.3.6.1.2.1.1.2.0"
	oidSysName     = ".1.3.6.1.2.1.1.5.0"

	// IP-MIB (RFC 4293) ipNetToPhysicalPhysAddress, index
	// ifIndex.addressType.addressLength.address...
	oidIPNetToPhysicalPhysAddress = ".1.3.6.1.2.1.4.35.1.4"
	// RFC 1213 ipNetToMediaPhysAddress, index ifIndex.a.b.c.d: the IPv4-only
	// table older routers serve instead.
	oidIPNetToMediaPhysAddress = ".1.3.6.1.2.1.4.22.1.2"

	// BRIDGE-MIB (RFC 4188).
	oidDot1dBasePortIfIndex = ".1.3.6.1.2.1.17.1.4.1.2" // index dot1dBasePort
	oidDot1dTpFdbPort       = ".1.3.6.1.2.1.17.4.3.1.2" // index MAC (6 sub-identifiers)
	oidDot1dTpFdbStatus     = ".1.3.6.1.2.1.17.4.3.1.3"

	// Q-BRIDGE-MIB (RFC 4363).
	oidDot1qTpFdbPort   = ".1.3.6.1.2.1.17.7.1.2.2.1.2" // index dot1qFdbId.MAC
	oidDot1qTpFdbStatus = ".1.3.6.1.2.1.17.7.1.2.2.1.3"
	oidDot1qVlanFdbID   = ".1.3.6.1.2.1.17.7.1.4.2.1.3" // index TimeMark.dot1qVlanIndex -> dot1qFdbId

	// IF-MIB (RFC 2863).
	oidIfDescr = ".1.3.6.1.2.1.2.2.1.2"     // index ifIndex
	oidIfName  = ".1.3.6.1.2.1.31.1.1.1.1"  // index ifIndex
	oidIfAlias = ".1.3.6.1.2.1.31.1.1.1.18" // index ifIndex: the operator's port description

	// LLDP-MIB (IEEE 802.1AB-2005), lldpRemTable, index
	// lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex.
	oidLLDPRemEntry = ".1.0.8802.1.1.2.1.4.1.1"
	// lldpLocPortTable, index lldpLocPortNum: the local port's own ID, to
	// tie lldpRemLocalPortNum to an interface.
	oidLLDPLocPortIDSubtype = ".1.0.8802.1.1.2.1.3.7.1.2"
	oidLLDPLocPortID        = ".1.0.8802.1.1.2.1.3.7.1.3"
)

// lldpRemTable columns (the last sub-identifier of lldpRemEntry).
const (
	lldpRemChassisIDSubtype = 4
	lldpRemChassisID        = 5
	lldpRemPortIDSubtype    = 6
	lldpRemPortID           = 7
	lldpRemPortDesc         = 8
	lldpRemSysName          = 9
	lldpRemSysDesc          = 10
	lldpRemSysCapSupported  = 11
	lldpRemSysCapEnabled    = 12
)

// FDB entry status values (dot1dTpFdbStatus, dot1qTpFdbStatus).
const (
	fdbStatusOther   = 1
	fdbStatusInvalid = 2
	fdbStatusLearned = 3
	fdbStatusSelf    = 4
	fdbStatusMgmt    = 5
)
