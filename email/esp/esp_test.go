package esp

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	t.Parallel()
	_, pub := sendgridKey(t)
	tests := []struct {
		name    string
		webhook string
		cfg     Config
		want    any    // the adapter's type on success
		wantErr string // a part of the error otherwise
	}{
		{name: "ses by name", webhook: "ses", cfg: Config{TopicARNs: []string{testTopic}}, want: &SES{}},
		{name: "sendgrid by name", webhook: "sendgrid", cfg: Config{PublicKey: pub, MaxAge: time.Minute}, want: &SendGrid{}},
		{name: "mailgun by name", webhook: "mailgun", cfg: Config{SigningKey: "k"}, want: &Mailgun{}},
		{name: "postmark by name", webhook: "postmark", cfg: Config{Username: "u", Password: "p"}, want: &Postmark{}},
		{name: "sparkpost by name", webhook: "sparkpost", cfg: Config{Token: "t"}, want: &SparkPost{}},
		{name: "provider key names it", webhook: "ses-eu", cfg: Config{Provider: "SES", TopicARNs: []string{testTopic}}, want: &SES{}},
		{name: "unknown provider", webhook: "mandrill", cfg: Config{}, wantErr: `webhook mandrill: provider "mandrill" is not one of`},
		{name: "key of another provider", webhook: "mailgun", cfg: Config{SigningKey: "k", PublicKey: pub}, wantErr: "webhook mailgun: key public_key is not used by provider mailgun"},
		{name: "max_age is not postmark's", webhook: "postmark", cfg: Config{Username: "u", Password: "p", MaxAge: time.Minute}, wantErr: "key max_age"},
		{name: "missing secret", webhook: "mailgun", cfg: Config{}, wantErr: "webhook mailgun: mailgun: signing_key: required"},
		{name: "ses without topics", webhook: "ses", cfg: Config{}, wantErr: "topic_arns"},
		{name: "bad sendgrid key", webhook: "sendgrid", cfg: Config{PublicKey: "AAAA"}, wantErr: "public_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := New(tt.webhook, tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(h) != reflect.TypeOf(tt.want) {
				t.Errorf("New = %T, want %T", h, tt.want)
			}
		})
	}
}
