package email_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

// Notices of mailing-list managers and Amazon SES notifications sent as
// mail, written from the formats those systems document or are known to
// send (fml 8, Mailman 2.1, Google Groups, SES through an SNS email or
// email-json subscription).
const (
	fmlMail = `Return-Path: <owner-neko@example.jp>
Received: from mx.example.jp by mail.example.com; Thu, 01 Jan 2015 12:00:00 +0900
Date: Thu, 01 Jan 2015 12:00:00 +0900
From: neko-admin@example.jp
To: kijitora@example.com
Subject: fml system error message
X-MLServer: fml [fml 8.0]; post only (only members can post)
X-ML-Name: neko
Message-ID: <20150101120000.FML12345.neko-admin@example.jp>
Precedence: bulk
Content-Type: text/plain; charset=us-ascii

you are not member (you are not a member of this mailing list).
If you are a member,
your Subject: line contains "unsubscribe".

	kijitora@example.com

--neko@example.jp, Be Seeing You!
`
	mailmanHeldMail = `Return-Path: <cats-bounces@lists.example.org>
Date: Thu, 01 Jan 2015 12:00:00 +0000
From: cats-owner@lists.example.org
To: kijitora@example.com
Subject: Your message to Cats awaits moderator approval
Message-ID: <mailman.1.1420113600.1234.cats@lists.example.org>
X-BeenThere: cats@lists.example.org
X-Mailman-Version: 2.1.39
List-Id: <cats.lists.example.org>
Content-Type: text/plain; charset=us-ascii

Your mail to 'Cats' with the subject

    Hello

Is being held until the list moderator can review it for approval.

The reason it is being held:

    Post by non-member to a members-only list

Either the message will get posted to the list, or you will receive
notification of the moderator's decision.
`
	googleGroupsMail = `Return-Path: <>
Date: Thu, 01 Jan 2015 12:00:00 -0800
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: kijitora@example.com
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: cats@googlegroups.com
Message-ID: <000000000000abcd@google.com>
Content-Type: text/plain; charset=UTF-8

Hello kijitora@example.com,

We're writing to let you know that the group you tried to contact (cats) may not exist, or you may not have permission to post messages to the group. A few more details on why you weren't able to post:

 * You might have spelled or formatted the group name incorrectly.
 * The owner of the group may have removed this group.
 * You may need to join the group before receiving permission to post.
 * This group may not be open to posting.
`
	sesComplaintMail = `Return-Path: <0100016c-abc@amazonses.com>
Date: Thu, 01 Aug 2019 12:00:00 +0000
From: AWS Notifications <no-reply@sns.amazonaws.com>
To: kijitora@example.com
Subject: AWS Notification Message
Message-ID: <0100016c-def@email.amazonses.com>
x-amz-sns-message-id: 11111111-2222-3333-4444-555555555555
Content-Type: text/plain; charset=UTF-8

{"Type" : "Notification", "MessageId" : "11111111-2222-3333-4444-555555555555", "TopicArn" : "arn:aws:sns:us-west-2:123456789012:complaints", "Message" : "{\"notificationType\":\"Complaint\",\"complaint\":{\"feedbackId\":\"0100016c-1\",\"complaintSubType\":null,\"complainedRecipients\":[{\"emailAddress\":\"neko@example.jp\"}],\"timestamp\":\"2019-08-01T12:00:00.000Z\",\"userAgent\":\"Yahoo!-Mail-Feedback/2.0\",\"complaintFeedbackType\":\"abuse\"},\"mail\":{\"timestamp\":\"2019-08-01T11:59:00.000Z\",\"source\":\"kijitora@example.com\",\"messageId\":\"0100016c-2\",\"destination\":[\"neko@example.jp\"]}}", "Timestamp" : "2019-08-01T12:00:01.000Z"}
`
	sesDeliveryMail = `Return-Path: <0100016c-abc@amazonses.com>
Date: Thu, 01 Aug 2019 12:00:00 +0000
From: AWS Notifications <no-reply@sns.amazonaws.com>
To: kijitora@example.com
Subject: AWS Notification Message
Message-ID: <0100016c-ghi@email.amazonses.com>
Content-Type: text/plain; charset=UTF-8

{"notificationType":"Delivery","mail":{"timestamp":"2019-08-01T11:59:00.000Z","source":"kijitora@example.com","messageId":"0100016c-3","destination":["neko@example.jp"]},"delivery":{"timestamp":"2019-08-01T12:00:00.000Z","processingTimeMillis":900,"recipients":["neko@example.jp"],"smtpResponse":"250 2.6.0 Message received","remoteMtaIp":"192.0.2.2","reportingMTA":"a1-2.smtp-out.us-west-2.amazonses.com"}}
`
	sesBounceMail = `Return-Path: <0100016c-abc@amazonses.com>
Date: Thu, 01 Aug 2019 12:00:00 +0000
From: AWS Notifications <no-reply@sns.amazonaws.com>
To: kijitora@example.com
Subject: AWS Notification Message
Message-ID: <0100016c-jkl@email.amazonses.com>
Content-Type: text/plain; charset=UTF-8

{"notificationType":"Bounce","bounce":{"feedbackId":"0100016c-4","bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"nyaan@example.org","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 <nyaan@example.org>: Recipient address rejected: User unknown in local recipient table"}],"timestamp":"2019-08-01T12:00:00.000Z","reportingMTA":"dsn; a1-2.smtp-out.us-west-2.amazonses.com"},"mail":{"timestamp":"2019-08-01T11:59:00.000Z","source":"kijitora@example.com","messageId":"0100016c-5","destination":["nyaan@example.org"]}}
`
)

func TestListAndSESMailVerdicts(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	tests := []struct {
		name, mail string
		kind       email.Kind
		want       []string // recipient outcome reason rule, per event
	}{
		{"Mailman holds a non-member's post", mailmanHeldMail, email.KindDSN,
			[]string{"cats@lists.example.org soft sender_rejected email.lexicon.sender_rejected.mailing_list@1"}},
		{"Google Groups refuses a post", googleGroupsMail, email.KindDSN,
			[]string{"cats@googlegroups.com soft sender_rejected email.lexicon.sender_rejected.mailing_list@1"}},
		{"SES complaint as SNS JSON", sesComplaintMail, email.KindFeedback,
			[]string{"neko@example.jp complaint complaint email.type.complaint@1"}},
		{"SES delivery as JSON", sesDeliveryMail, email.KindDSN,
			[]string{"neko@example.jp delivered delivered email.type.delivered@1"}},
		{"SES bounce as JSON", sesBounceMail, email.KindDSN,
			[]string{"nyaan@example.org hard user_unknown email.status.5.1.1@2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := email.Parse([]byte(tt.mail))
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind {
				t.Fatalf("kind %q (%s), want %q", r.Kind, r.Why, tt.kind)
			}
			var got []string
			for _, e := range r.Events(email.EventOptions{}) {
				v := set.Classify(e)
				got = append(got, e.Recipient+" "+string(v.Outcome)+" "+string(v.Reason)+" "+v.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFMLNoticeIsABounce checks that fml's refusal of a non-member's post
// gives the poster's refusal as sender_rejected; the list's own address in
// the signature line is a recipient too, which the words do not cover.
func TestFMLNoticeIsABounce(t *testing.T) {
	t.Parallel()
	r, err := email.Parse([]byte(fmlMail))
	if err != nil || r.Kind != email.KindDSN || len(r.Recipients) == 0 {
		t.Fatalf("Parse: %v, kind %q (%s)", err, r.Kind, r.Why)
	}
	v := loadRules(t).Classify(r.Events(email.EventOptions{})[0])
	if v.Reason != "sender_rejected" {
		t.Errorf("verdict %+v, want sender_rejected", v)
	}
}
