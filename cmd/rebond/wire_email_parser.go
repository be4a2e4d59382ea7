package main

import (
	"errors"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email/inbound"
)

// mailParser is replaced by the email package's parser once it lands.
func mailParser(Config) (inbound.Parser, error) {
	return func(inbound.Message) ([]channels.Event, string, error) {
		return nil, "", errors.New("email parser not built yet")
	}, nil
}
