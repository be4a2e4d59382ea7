package smpp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestTLS binds over TLS: verifying the SMSC's certificate against the
// given roots, refusing it when it is unknown, and accepting it anyway
// when the operator said so.
func TestTLS(t *testing.T) {
	t.Parallel()
	cert, roots := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	smsc := startFakeSMSC(t, ln)
	t.Cleanup(func() { ln.Close() })

	verified := testGateway(smsc.addr())
	verified.Name, verified.TLSConfig = "verified", &tls.Config{RootCAs: roots, ServerName: "smsc.test", MinVersion: tls.VersionTLS12}
	skip := testGateway(smsc.addr())
	skip.Name, skip.TLS, skip.TLSInsecureSkipVerify = "skip", true, true
	rec := newRecorder()
	startESME(t, rec, verified, skip)
	for range 2 {
		c := smsc.next(t)
		if st := c.deliver(t, receipt("447700900001", textDelivered)); st != statusOK {
			t.Errorf("receipt over TLS answered %s", statusText(st))
		}
	}
	if ids, _ := rec.ids(); len(ids) != 2 {
		t.Errorf("published %v, want one event per gateway", ids)
	}

	// A certificate nobody vouches for is refused, and no bind happens.
	unknown := testGateway(smsc.addr())
	unknown.TLS = true
	b := &bind{gw: unknown.WithDefaults(), log: testLogger(t)}
	if _, _, err := b.session(t.Context()); err == nil {
		t.Error("bound to an SMSC whose certificate is unknown")
	}
}

// selfSigned makes a certificate for smsc.test and 127.0.0.1 and the pool
// that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smsc.test"},
		DNSNames: []string{"smsc.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
