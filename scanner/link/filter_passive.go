package link

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// PassiveHeadBytes is how much of an ordinary IPv4 frame the passive
// filter lets through: the Ethernet header, an IPv4 header with the
// longest options, and a transport header's ports. That places the
// sender; the payload, which the listener would not read, stays in the
// kernel.
const PassiveHeadBytes = 14 + 60 + 8

// PassiveFilter is the classic BPF program the passive listener reads
// through: incoming ARP whole; IPv4 fragments whole (a WS-Discovery Hello
// longer than the MTU is reassembled from them); UDP to or from one of
// DiscoveryPorts whole; and the head of every other IPv4 frame, since any
// frame from a host says it is there. Everything else (IPv6, other
// ethertypes, what this host sent) stays in the kernel.
func PassiveFilter() ([]bpf.RawInstruction, error) {
	raw, err := bpf.Assemble(append(dropOutgoing(), passiveCore(DiscoveryPorts)...))
	if err != nil {
		return nil, fmt.Errorf("scanner: assemble passive filter: %w", err)
	}
	return raw, nil
}

// passiveCore is PassiveFilter without the outgoing check, which the
// x/net/bpf VM the tests run cannot execute.
func passiveCore(ports []uint16) []bpf.Instruction {
	const whole = 0x40000
	// Layout: [arp?][ipv4?][fragment?][udp?][x=ihl][src ports][dst ports][head][drop][whole]
	type jump struct {
		at     int
		ifTrue string // "", "head", "drop", "whole": where a JumpIf goes when true
		ifElse string // and when false ("" falls through)
	}
	var (
		prog  []bpf.Instruction
		jumps []jump
	)
	jmp := func(cond bpf.JumpTest, val uint32, ifTrue, ifElse string) {
		jumps = append(jumps, jump{at: len(prog), ifTrue: ifTrue, ifElse: ifElse})
		prog = append(prog, bpf.JumpIf{Cond: cond, Val: val})
	}
	prog = append(prog, bpf.LoadAbsolute{Off: 12, Size: 2})
	jmp(bpf.JumpEqual, 0x0806, "whole", "")
	jmp(bpf.JumpEqual, 0x0800, "", "drop")
	prog = append(prog, bpf.LoadAbsolute{Off: 20, Size: 2})
	jmp(bpf.JumpBitsSet, 0x3fff, "whole", "") // more fragments, or an offset
	prog = append(prog, bpf.LoadAbsolute{Off: 23, Size: 1})
	jmp(bpf.JumpEqual, 17, "", "head")
	prog = append(prog, bpf.LoadMemShift{Off: 14}, bpf.LoadIndirect{Off: 14, Size: 2})
	for _, p := range ports {
		jmp(bpf.JumpEqual, uint32(p), "whole", "")
	}
	prog = append(prog, bpf.LoadIndirect{Off: 16, Size: 2})
	for _, p := range ports {
		jmp(bpf.JumpEqual, uint32(p), "whole", "")
	}
	target := map[string]int{"head": len(prog), "drop": len(prog) + 1, "whole": len(prog) + 2}
	prog = append(prog, bpf.RetConstant{Val: PassiveHeadBytes}, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: whole})
	skip := func(from int, to string) uint8 {
		if to == "" {
			return 0
		}
		return uint8(target[to] - from - 1)
	}
	for _, j := range jumps {
		ins := prog[j.at].(bpf.JumpIf)
		ins.SkipTrue, ins.SkipFalse = skip(j.at, j.ifTrue), skip(j.at, j.ifElse)
		prog[j.at] = ins
	}
	return prog
}
