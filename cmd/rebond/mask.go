package main

import (
	"net/url"
	"reflect"
	"regexp"
	"strings"
)

// masked replaces a secret in `rebond config` output.
const masked = "********"

// maskSecrets hides every secret of cfg, so `rebond config` output can be
// pasted into a ticket. It walks the whole configuration rather than
// naming fields, so a field added later is covered too: a string field
// whose name says it holds a secret (secret, token, password, key) is
// replaced, and one whose name ends in URL or URLs (a connection string,
// or a comma-separated list of them such as nats.url) keeps everything
// but the passwords. Webhook settings are a map, masked by key the same
// way, and alert destinations' URLs keep only scheme and host.
func maskSecrets(cfg *Config) {
	maskValue(reflect.ValueOf(cfg).Elem(), "")
	for name, hook := range cfg.Webhooks {
		m := make(map[string]any, len(hook))
		for k, v := range hook {
			if secretName(k) || strings.EqualFold(k, "header_value") {
				v = masked
			}
			m[k] = v
		}
		cfg.Webhooks[name] = m
	}
	// An alert destination's URL may be its credential (a Slack incoming
	// webhook's path is): keep scheme and host only.
	for i, d := range cfg.Alerts.Destinations {
		if u, err := url.Parse(d.URL); err == nil && u.Host != "" && (u.Path != "" && u.Path != "/" || u.RawQuery != "") {
			cfg.Alerts.Destinations[i].URL = u.Scheme + "://" + u.Host + "/" + masked
		} else if err != nil || u.Host == "" {
			cfg.Alerts.Destinations[i].URL = maskURLs(d.URL)
		}
	}
}

// maskValue masks v in place; name is the field that holds it.
func maskValue(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			maskValue(v.Elem(), name)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				maskValue(v.Field(i), f.Name)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			maskValue(v.Index(i), name)
		}
	case reflect.Map:
		// A map of secrets (email.tenant_secrets) is replaced whole,
		// never changed in place: the caller's configuration keeps its keys.
		if v.CanSet() && !v.IsNil() && secretName(name) && v.Type().Elem().Kind() == reflect.String {
			m := reflect.MakeMapWithSize(v.Type(), v.Len())
			for _, k := range v.MapKeys() {
				m.SetMapIndex(k, reflect.ValueOf(masked).Convert(v.Type().Elem()))
			}
			v.Set(m)
		}
	case reflect.String:
		if !v.CanSet() || v.String() == "" {
			return
		}
		switch {
		case urlName(name):
			v.SetString(maskURLs(v.String()))
		case secretName(name):
			v.SetString(masked)
		}
	}
}

// secretName says whether a field or key name is one of a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	if n == "tlskey" || n == "tls_key" {
		return false // a file's path, not the key
	}
	for _, w := range []string{"secret", "token", "password", "passwd", "key"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// urlName says whether a field holds connection URLs.
func urlName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, "url") || strings.HasSuffix(n, "urls") || strings.HasSuffix(n, "dsn")
}

// maskURLs masks the passwords of a comma-separated list of connection
// strings (nats.url takes one URL per server).
func maskURLs(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = maskDSN(p)
	}
	return strings.Join(parts, ",")
}

// dsnPassword finds password=... in a key=value DSN (libpq's form).
var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// userInfo is the user part of a URL that url.Parse did not read as one
// (a password with a '#', '/' or '?' the writer did not escape): everything
// from "://" to the first '@'. Masking too much is the safe side.
var userInfo = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*://)([^@]*)@`)

// maskDSN hides the password of a URL-form or key=value connection string,
// in its user part or in a password query parameter.
func maskDSN(dsn string) string {
	pu, err := url.Parse(dsn)
	if err == nil && pu.Scheme != "" && (pu.User != nil || !userInfo.MatchString(dsn)) {
		if pu.User != nil {
			_, has := pu.User.Password()
			switch {
			case has:
				pu.User = url.UserPassword(pu.User.Username(), masked)
			case natsScheme(pu.Scheme):
				// nats.go reads a lone user name as a token.
				pu.User = url.User(masked)
			}
		}
		q := pu.Query()
		if q.Has("password") {
			q.Set("password", masked)
			pu.RawQuery = q.Encode()
		}
		return pu.String()
	}
	if m := userInfo.FindStringSubmatchIndex(dsn); m != nil {
		// Unparseable URL with a user part: keep the user name only.
		user, _, _ := strings.Cut(dsn[m[4]:m[5]], ":")
		return dsn[:m[4]] + user + ":" + masked + dsn[m[5]:]
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}"+masked)
}

// natsScheme says whether a URL scheme is one of NATS's client URLs.
func natsScheme(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "nats", "tls", "ws", "wss":
		return true
	}
	return false
}
