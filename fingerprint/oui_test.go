package fingerprint

import "testing"

func TestLookupOUI(t *testing.T) {
	tests := []struct {
		name, mac, want string
		ok              bool
	}{
		{"hikvision MA-L colon", "44:47:cc:12:34:56", "Hangzhou Hikvision Digital Technology Co.,Ltd.", true},
		{"hikvision MA-L dash upper", "BC-AD-28-00-11-22", "Hangzhou Hikvision Digital Technology Co.,Ltd.", true},
		{"dahua MA-L cisco dots", "08ed.ed12.3456", "Zhejiang Dahua Technology Co., Ltd.", true},
		{"axis MA-L bare", "ACCC8E123456", "Axis Communications AB", true},
		{"axis prefix only", "00:40:8c", "Axis Communications AB", true},
		// Blocks the IEEE assigned after Debian's ieee-data of 2022-08-27.
		{"hikvision 2023+ block", "04:ee:cd:01:02:03", "Hangzhou Hikvision Digital Technology Co.,Ltd.", true},
		{"hikvision 2023+ block 2", "08:cc:81:01:02:03", "Hangzhou Hikvision Digital Technology Co.,Ltd.", true},
		{"hikvision 2023+ block 3", "24:48:45:01:02:03", "Hangzhou Hikvision Digital Technology Co.,Ltd.", true},
		{"dahua zhilian block", "20:2c:05:01:02:03", "ZHEJIANG DAHUA ZHILIAN CO.,LTD", true},
		{"MA-M block", "74:1a:e0:50:00:01", "FUJIAN TAILI COMMUNICATION TECHNOLOGY CO.,LTD", true},
		{"MA-M parent when no MA-M block matches", "74:1a:e0:f0:00:01", "IEEE Registration Authority", true},
		{"MA-S block", "70:b3:d5:f2:f0:01", "TELEPLATFORMS", true},
		{"IAB block", "00:50:c2:7d:50:01", "DEUTA-WERKE GmbH", true},
		{"locally administered", "02:00:00:00:00:01", "", false},
		{"too short", "44:47", "", false},
		{"too long", "44:47:cc:12:34:56:78", "", false},
		{"not hex", "zz:47:cc:12:34:56", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LookupOUI(tt.mac)
			if got != tt.want || ok != tt.ok {
				t.Errorf("LookupOUI(%q) = %q, %v; want %q, %v", tt.mac, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// The table is the whole registry, not a camera subset.
func TestOUITableIsWhole(t *testing.T) {
	tab, err := loadOUI()
	if err != nil {
		t.Fatal(err)
	}
	for n, min := range map[int]int{6: 30000, 7: 4000, 9: 9000} {
		if got := tab.byLen[n].Len(); got < min {
			t.Errorf("%d-digit prefixes: %d, want at least %d", n, got, min)
		}
	}
}

func BenchmarkLookupOUI(b *testing.B) {
	if _, err := loadOUI(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		LookupOUI("44:47:cc:12:34:56")
	}
}
