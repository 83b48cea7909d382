package scantest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
)

// ServeDHIP answers Dahua DHIP DHDiscover.search queries on conn with a
// client.notifyDevInfo frame, to the sender.
func ServeDHIP(ctx context.Context, conn net.PacketConn, p *DHIPService, mac, ip string) {
	serveDatagrams(ctx, conn, func(b []byte) []byte {
		if len(b) < 32 || string(b[4:8]) != "DHIP" {
			return nil
		}
		l := binary.LittleEndian.Uint32(b[16:])
		if int(l) > len(b)-32 {
			return nil
		}
		var q struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(b[32:32+int(l)], &q) != nil || q.Method != "DHDiscover.search" {
			return nil
		}
		return dhipFrame(dhipAnswer(p, mac, ip))
	})
}

func dhipAnswer(p *DHIPService, mac, ip string) []byte {
	body := map[string]any{
		"mac":    mac,
		"method": "client.notifyDevInfo",
		"params": map[string]any{"deviceInfo": map[string]any{
			"AlarmInputChannels": 0, "DeviceClass": p.DeviceClass, "DeviceType": p.DeviceType,
			"HttpPort": 80, "IPv4Address": map[string]any{"DefaultGateway": "0.0.0.0", "DhcpEnable": false, "IPAddress": ip, "SubnetMask": "255.255.255.0"},
			"Mac": mac, "MachineName": p.Serial, "SerialNo": p.Serial, "Vendor": p.Vendor, "Version": p.Version,
		}},
	}
	b, _ := json.Marshal(body)
	return append(b, '\n')
}

// dhipFrame prefixes a body with the 32-byte DHIP header.
func dhipFrame(body []byte) []byte {
	b := make([]byte, 32+len(body))
	binary.LittleEndian.PutUint32(b[0:], 32)
	copy(b[4:8], "DHIP")
	binary.LittleEndian.PutUint32(b[16:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[24:], uint32(len(body)))
	copy(b[32:], body)
	return b
}

// serveDHIPHost is the Network seam for a host's DHIP service.
func serveDHIPHost(ctx context.Context, conn net.PacketConn, h *Host) {
	ServeDHIP(ctx, conn, h.Persona.DHIP, h.MAC(), h.Addr.String())
}
