package main

import (
	"encoding/binary"
	"log"
	"net"
	"strconv"
	"strings"
)

// The lab's zone: every name the sending MTAs look up. Names under
// example.test that are not listed answer NXDOMAIN (RFC 1035 §4.1.1
// RCODE 3), which is how "domain not found" is provoked; nullmx.example.test
// publishes the null MX of RFC 7505 §3 ("MX 0 .").
var (
	zoneA = map[string]net.IP{
		"mta.sender.example.test": net.IPv4(127, 0, 0, 1),
		"mx.lab.example.test":     net.IPv4(127, 0, 0, 2),
		"mx.busy.example.test":    net.IPv4(127, 0, 0, 3),
		"mx.blocked.example.test": net.IPv4(127, 0, 0, 4),
		"mx.small.example.test":   net.IPv4(127, 0, 0, 5),
	}
	zoneMX = map[string]string{
		"lab.example.test":     "mx.lab.example.test",
		"relay.example.test":   "mx.lab.example.test",
		"return.example.test":  "mx.lab.example.test",
		"sender.example.test":  "mx.lab.example.test",
		"busy.example.test":    "mx.busy.example.test",
		"blocked.example.test": "mx.blocked.example.test",
		"small.example.test":   "mx.small.example.test",
		"nullmx.example.test":  ".",
	}
)

const (
	typeA   = 1
	typeSOA = 6
	typePTR = 12
	typeMX  = 15
	rcodeNX = 3
)

// known reports whether the zone holds any record for name.
func known(name string) bool {
	if _, ok := zoneA[name]; ok {
		return true
	}
	if _, ok := zoneMX[name]; ok {
		return true
	}
	return ptrTarget(name) != "" || name == "example.test"
}

// ptrTarget answers the reverse lookups of the loopback addresses in use.
func ptrTarget(name string) string {
	for host, ip := range zoneA {
		v4 := ip.To4()
		rev := strings.Join([]string{itoa(v4[3]), itoa(v4[2]), itoa(v4[1]), itoa(v4[0])}, ".") + ".in-addr.arpa"
		if rev == name {
			return host
		}
	}
	return ""
}

func itoa(b byte) string { return strconv.Itoa(int(b)) }

// encodeName writes a domain name in wire format (RFC 1035 §3.1).
func encodeName(name string) []byte {
	var b []byte
	name = strings.TrimSuffix(name, ".")
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

// answer builds the response to one query message, or nil to drop it.
func answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// Read the question's name (no compression in a query).
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		if n&0xc0 != 0 || i+1+n > len(q) {
			return nil
		}
		labels = append(labels, strings.ToLower(string(q[i+1:i+1+n])))
		i += 1 + n
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	qend := i + 5
	name := strings.Join(labels, ".")

	type rr struct {
		typ  uint16
		data []byte
	}
	var ans []rr
	rcode := 0
	switch {
	case !strings.HasSuffix(name, "example.test") && ptrTarget(name) == "":
		rcode = rcodeNX
	case !known(name):
		rcode = rcodeNX
	case qtype == typeA && zoneA[name] != nil:
		ans = append(ans, rr{typeA, zoneA[name].To4()})
	case qtype == typeMX && zoneMX[name] != "":
		pref := []byte{0, 10}
		if zoneMX[name] == "." {
			pref = []byte{0, 0}
		}
		ans = append(ans, rr{typeMX, append(pref, encodeName(zoneMX[name])...)})
	case qtype == typePTR && ptrTarget(name) != "":
		ans = append(ans, rr{typePTR, encodeName(ptrTarget(name))})
	}
	flags := uint16(0x8480) | binary.BigEndian.Uint16(q[2:])&0x0100 | uint16(rcode)
	out := make([]byte, 12, 512)
	binary.BigEndian.PutUint16(out[0:], binary.BigEndian.Uint16(q[0:]))
	binary.BigEndian.PutUint16(out[2:], flags)
	binary.BigEndian.PutUint16(out[4:], 1)
	binary.BigEndian.PutUint16(out[6:], uint16(len(ans)))
	nsCount := 0
	if len(ans) == 0 {
		nsCount = 1 // an SOA, so negative answers can be cached (RFC 2308 §3)
	}
	binary.BigEndian.PutUint16(out[8:], uint16(nsCount))
	out = append(out, q[12:qend]...)
	for _, a := range ans {
		out = append(out, 0xc0, 12)
		out = binary.BigEndian.AppendUint16(out, a.typ)
		out = binary.BigEndian.AppendUint16(out, 1)
		out = binary.BigEndian.AppendUint32(out, 60)
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.data)))
		out = append(out, a.data...)
	}
	if nsCount == 1 {
		soa := append(encodeName("ns.example.test"), encodeName("hostmaster.example.test")...)
		for _, v := range []uint32{1, 3600, 600, 86400, 60} {
			soa = binary.BigEndian.AppendUint32(soa, v)
		}
		out = append(out, encodeName("example.test")...)
		out = binary.BigEndian.AppendUint16(out, typeSOA)
		out = binary.BigEndian.AppendUint16(out, 1)
		out = binary.BigEndian.AppendUint32(out, 60)
		out = binary.BigEndian.AppendUint16(out, uint16(len(soa)))
		out = append(out, soa...)
	}
	return out
}

// serveDNS answers on UDP and TCP (RFC 1035 §4.2) at addr.
func serveDNS(addr string) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		log.Fatalf("dns: %v", err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := answer(buf[:n]); r != nil {
				pc.WriteTo(r, from)
			}
		}
	}()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("dns: %v", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					var l [2]byte
					if _, err := readFull(c, l[:]); err != nil {
						return
					}
					q := make([]byte, binary.BigEndian.Uint16(l[:]))
					if _, err := readFull(c, q); err != nil {
						return
					}
					r := answer(q)
					if r == nil {
						return
					}
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(r))), r...))
				}
			}()
		}
	}()
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
