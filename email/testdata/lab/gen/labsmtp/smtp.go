package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// reply is what the receiving side answers for one recipient: at RCPT
// TO, or (data set) after the message's end of data.
type reply struct {
	rcpt string
	data string
}

// replies maps a recipient's local part (on lab.example.test) to the
// receiving side's answer. The wordings follow common receiving MTAs
// (Postfix's smtpd and the usual milters and DNSBL front-ends); the
// enhanced codes are RFC 3463's.
var replies = map[string]reply{
	"unknown":  {rcpt: "550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table"},
	"unknown2": {rcpt: "550 5.1.1 <%s>: Recipient address rejected: User unknown in local recipient table"},
	"full":     {rcpt: "552 5.2.2 <%s>: Recipient address rejected: Mailbox full, quota exceeded"},
	"full2":    {rcpt: "552 5.2.2 <%s>: Recipient address rejected: Mailbox full, quota exceeded"},
	"disabled": {rcpt: "550 5.2.1 <%s>: Recipient address rejected: Account disabled, mailbox is not accepting mail"},
	"blocked":  {rcpt: "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using bl.example.test; see https://bl.example.test/query/127.0.0.1"},
	"greylist": {rcpt: "451 4.7.1 <%s>: Recipient address rejected: Greylisted, please try again later"},
	"quota":    {rcpt: "452 4.2.2 <%s>: Recipient address rejected: Mailbox full, try again later"},
	"rate":     {rcpt: "450 4.7.1 <%s>: Recipient address rejected: Sending rate limit exceeded, you are sending too fast; slow down"},
	"big":      {data: "552 5.3.4 Message size exceeds fixed maximum message size"},
	"spam":     {data: "554 5.7.1 Message rejected: detected as spam by the content filter"},
	"virus":    {data: "554 5.7.1 Message rejected: virus found in message (Eicar-Test-Signature)"},
}

// mx is one receiving host of the lab, chosen by its address.
type mx struct {
	addr, name string
	greeting   string // a refusal at connection time, or "" for a normal 220
	size       int    // SIZE advertised (RFC 1870)
}

var mxs = []mx{
	{addr: "127.0.0.2:25", name: "mx.lab.example.test", size: 10240000},
	{addr: "127.0.0.3:25", name: "mx.busy.example.test", greeting: "421 4.7.0 mx.busy.example.test Error: too many connections from 127.0.0.1; try again later"},
	{addr: "127.0.0.4:25", name: "mx.blocked.example.test", greeting: "554 5.7.1 mx.blocked.example.test Service unavailable; Client host [127.0.0.1] blocked using bl.example.test"},
	{addr: "127.0.0.5:25", name: "mx.small.example.test", size: 1024},
}

var seq atomic.Int64

// serveSMTP accepts connections for one receiving host and keeps every
// message addressed to the sender's domain (the bounces) in dir.
func serveSMTP(m mx, dir string) {
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		log.Fatalf("smtp %s: %v", m.addr, err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go session(c, m, dir)
		}
	}()
}

func session(c net.Conn, m mx, dir string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	say := func(s string) {
		w.WriteString(s + "\r\n")
		w.Flush()
	}
	if strings.HasPrefix(m.greeting, "421") {
		say(m.greeting)
		return
	}
	refused := m.greeting != ""
	if refused {
		say(m.greeting)
	} else {
		say("220 " + m.name + " ESMTP lab")
	}
	var from string
	var rcpts []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, line[:len(verb)]))
		if refused && verb != "QUIT" {
			// RFC 5321 §3.1: after a 554 greeting the server answers 503.
			say("503 5.5.1 Error: no service")
			continue
		}
		switch verb {
		case "EHLO":
			say(fmt.Sprintf("250-%s\r\n250-PIPELINING\r\n250-SIZE %d\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME", m.name, m.size))
		case "HELO":
			say("250 " + m.name)
		case "MAIL":
			// RFC 1870 §6.1: a declared size above the limit is refused.
			if sz, ok := sizeParam(arg); ok && m.size > 0 && sz > m.size {
				say("552 5.3.4 Message size exceeds fixed limit")
				continue
			}
			from, rcpts = addrOf(arg), nil
			say("250 2.1.0 Ok")
		case "RCPT":
			a := addrOf(arg)
			local, domain, _ := strings.Cut(a, "@")
			local, domain = strings.ToLower(local), strings.ToLower(domain)
			switch {
			case domain == "relay.example.test":
				say(fmt.Sprintf("554 5.7.1 <%s>: Relay access denied", a))
			case domain == "lab.example.test" && replies[local].rcpt != "":
				say(strings.ReplaceAll(replies[local].rcpt, "%s", a))
			default:
				rcpts = append(rcpts, a)
				say("250 2.1.5 Ok")
			}
		case "DATA":
			if len(rcpts) == 0 {
				say("554 5.5.1 Error: no valid recipients")
				continue
			}
			say("354 End data with <CR><LF>.<CR><LF>")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				l = strings.TrimRight(l, "\r\n")
				if l == "." {
					break
				}
				msg.WriteString(strings.TrimPrefix(l, ".") + "\n")
			}
			answer := "250 2.0.0 Ok: queued"
			if msg.Len() > m.size {
				answer = "552 5.3.4 Message size exceeds fixed limit"
			}
			keep := false
			for _, a := range rcpts {
				local, domain, _ := strings.Cut(strings.ToLower(a), "@")
				if domain == "lab.example.test" && replies[local].data != "" {
					answer = replies[local].data
				}
				if domain == "return.example.test" {
					keep = true
				}
			}
			if keep && strings.HasPrefix(answer, "250") {
				n := seq.Add(1)
				name := filepath.Join(dir, fmt.Sprintf("%d-%04d.eml", time.Now().Unix(), n))
				// The final delivery adds Return-Path (RFC 5321 §4.4).
				body := "Return-Path: <" + from + ">\n" + msg.String()
				if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
					log.Printf("keep: %v", err)
				}
				log.Printf("kept %s from <%s>", name, from)
			}
			say(answer)
			rcpts = nil
		case "RSET":
			rcpts = nil
			say("250 2.0.0 Ok")
		case "NOOP":
			say("250 2.0.0 Ok")
		case "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error: command not recognized")
		}
	}
}

// sizeParam returns the SIZE= parameter of a MAIL argument (RFC 1870 §6).
func sizeParam(arg string) (int, bool) {
	for _, f := range strings.Fields(arg) {
		if v, ok := strings.CutPrefix(strings.ToUpper(f), "SIZE="); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}

// addrOf returns the address between the angle brackets of a MAIL or RCPT
// argument ("FROM:<a@b> SIZE=1").
func addrOf(arg string) string {
	_, rest, ok := strings.Cut(arg, "<")
	if !ok {
		return ""
	}
	a, _, _ := strings.Cut(rest, ">")
	return a
}
