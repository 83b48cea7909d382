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

	// CISCO-VTP-MIB vtpVlanTable, index managementDomainIndex.vtpVlanIndex:
	// the VLANs a Catalyst knows, each with its state and type. A
	// Catalyst serves one BRIDGE-MIB instance per VLAN, reached with the
	// community "community@VLAN" (v2c) or the SNMPv3 context "vlan-VLAN".
	oidVtpVlanState = ".1.3.6.1.4.1.9.9.46.1.3.1.1.2" // operational(1), suspended(2), mtuTooBigForDevice(3), mtuTooBigForTrunk(4)
	oidVtpVlanType  = ".1.3.6.1.4.1.9.9.46.1.3.1.1.3" // ethernet(1), fddi(2), tokenRing(3), fddiNet(4), trNet(5), deprecated(6)

	// CISCO-VLAN-MEMBERSHIP-MIB, index ifIndex: the access VLAN of each
	// access port (vmVlan) and its voice VLAN (vmVoiceVlanId). A VLAN no
	// edge port is in has its MACs learnt on trunks only, which locate
	// nothing, so its bridge table need not be read.
	oidVmVlan        = ".1.3.6.1.4.1.9.9.68.1.2.2.1.2"
	oidVmVoiceVlanID = ".1.3.6.1.4.1.9.9.68.1.5.1.1.1"

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

// CISCO-VTP-MIB values the VLAN list keeps.
const (
	vtpVlanOperational = 1
	vtpVlanEthernet    = 1
	// VLANs 1002-1005 are the FDDI and Token Ring defaults every
	// Catalyst lists; they carry no Ethernet hosts.
	vlanReservedFirst = 1002
	vlanReservedLast  = 1005
	// vmVoiceVlanId values that name no VLAN: 4095 untagged, 4096 none
	// (dot1p and disabled in the MIB's terms).
	vlanMax = 4094
)

// FDB entry status values (dot1dTpFdbStatus, dot1qTpFdbStatus).
const (
	fdbStatusOther   = 1
	fdbStatusInvalid = 2
	fdbStatusLearned = 3
	fdbStatusSelf    = 4
	fdbStatusMgmt    = 5
)
