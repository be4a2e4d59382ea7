# rebond — `make help` lists the targets.
GO       ?= go
DATA_DIR ?= ./data
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 30s
# DOVECOT_INSTALL installs dovecot-imapd for the mailbox tests when missing.
DOVECOT_INSTALL = [ -x /usr/sbin/dovecot ] || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

.PHONY: help run build test test-short test-kannel test-mailbox soak-mailbox vet fmt bench fuzz services clean generate lab

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

CONFIG   ?= $(REBOND_CONFIG)

run: build services ## migrate and serve with the defaults (local PostgreSQL and Redis, embedded NATS) and bounce intake for bounces.localhost on 127.0.0.1:2525; CONFIG=file.yaml to use a configuration file
	@bash deploy/local/run.sh CONFIG=$(CONFIG) DATA_DIR=$(DATA_DIR)

build: ## build bin/rebond
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/rebond ./cmd/rebond

services: ## check PostgreSQL and Redis, start them if they are down
	@bash deploy/local/services.sh

test: ## the whole suite with the race detector, against real PostgreSQL, Redis and NATS
	@echo "make test: go vet, then gofmt, then the race-enabled build and tests of every package (a few minutes; packages print as they finish)"
	$(GO) vet ./...
	$(GO) vet -tags kannel,mailbox ./cmd/rebond ./email/mailbox
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) test -race -count=1 -timeout 15m ./...

test-kannel: ## the Kannel end-to-end test (real Kannel and an npm smpp SMSC); installs kannel and the npm package if missing
	@[ -x /usr/sbin/bearerbox ] || command -v bearerbox >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel >/dev/null; }
	@[ -d cmd/rebond/testdata/kannel/node_modules/smpp ] || (cd cmd/rebond/testdata/kannel && npm ci --no-audit --no-fund)
	$(GO) test -tags kannel -race -count=1 -timeout 5m -run TestKannelEndToEnd ./cmd/rebond

test-mailbox: ## the IMAP bounce-mailbox tests (private Dovecots: 2,000 mails with serve SIGKILLed half-way; 20,000 in bounded memory); installs dovecot-imapd if missing
	@$(DOVECOT_INSTALL)
	$(GO) test -tags mailbox -race -count=1 -timeout 10m -run 'TestMailboxKilled|TestPollerLarge' ./cmd/rebond ./email/mailbox

soak-mailbox: ## TestPollerLarge on 100,000 mails (REBOND_MAILBOX_MAILS; a few minutes): logs elapsed, heap in use and the process's RSS at 20,000/50,000/100,000 moved, fails past 128 MiB of heap; no -race, so RSS is the poller's and not the race detector's
	@$(DOVECOT_INSTALL)
	REBOND_MAILBOX_MAILS=$${REBOND_MAILBOX_MAILS:-100000} $(GO) test -tags mailbox -count=1 -timeout 20m -v -run 'TestPollerLarge$$' ./email/mailbox

test-short: ## unit tests only (no services)
	$(GO) test -short ./...

generate: ## regenerate generated code (channels/rules/builtin from configs/rules/*.yaml, store/queries_gen.go from store/queries/*.sql, README.md's API table from api/openapi/openapi.json)
	$(GO) generate ./...

LAB_MTAS ?= postfix exim4 sendmail opensmtpd courier
lab: ## regenerate email/testdata/lab from real MTAs (root, namespaces, Debian mirror; ~10 min; not part of test)
	bash email/testdata/lab/gen/lab.sh $(LAB_MTAS)

bench: ## Go benchmarks of the hot paths
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; done

.PHONY: deploy-check
deploy-check: ## validate deploy/ (compose, Kubernetes, Dockerfile, systemd) with the tools this machine has
	@bash deploy/check.sh

clean: ## remove build output and local data
	rm -rf bin $(DATA_DIR)
