package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/rebond/rebond/channels"
)

// testCluster is a 3-node NATS cluster with JetStream, in process: the
// topology deploy/compose.yaml and deploy/k8s run, on loopback ports.
type testCluster struct {
	servers map[string]*server.Server // by server name (what StreamInfo.Cluster.Leader reports)
	urls    []string                  // client URLs, n1..n3
}

// freePorts reserves n loopback ports for the cluster listeners. The routes
// of every node name every node's cluster port (the server drops the route
// to itself), so those ports must be known before any server starts.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		defer l.Close()
	}
	return ports
}

// startCluster starts the three nodes and waits until they are routed to
// one another and the JetStream meta group has a leader, so that creating
// an R3 stream can succeed.
func startCluster(t testing.TB) *testCluster {
	t.Helper()
	ports := freePorts(t, 3)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &testCluster{servers: map[string]*server.Server{}}
	for i, p := range ports {
		name := fmt.Sprintf("n%d", i+1)
		srv, err := server.NewServer(&server.Options{
			ServerName: name, Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "rebond-test", Host: "127.0.0.1", Port: p},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatalf("node %s: %v", name, err)
		}
		go srv.Start()
		t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatalf("node %s not ready after 10s", name)
		}
		c.servers[name] = srv
		c.urls = append(c.urls, srv.ClientURL())
	}
	waitFor(t, 15*time.Second, "cluster routes and a JetStream meta leader", func() bool {
		leader := false
		for _, s := range c.servers {
			if s.NumRoutes() < 2 || !s.JetStreamIsCurrent() {
				return false
			}
			leader = leader || s.JetStreamIsLeader()
		}
		return leader
	})
	return c
}

// waitFor polls cond every 100ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publishTimeout is shorter than the default so that acks lost in the
// failover are given up within the test's time.
const publishTimeout = 2 * time.Second

// connectCluster dials all three URLs (comma-separated, as REBOND_NATS_URL
// takes them) with R3 streams. Connect is retried because the meta group
// may not yet know every peer right after its election.
func connectCluster(t testing.TB, c *testCluster) *Bus {
	t.Helper()
	cfg := Config{URL: strings.Join(c.urls, ","), Replicas: 3, Name: t.Name(), PublishTimeout: publishTimeout}
	var bus *Bus
	waitFor(t, 15*time.Second, "R3 streams to be created", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var err error
		bus, err = Connect(ctx, cfg)
		if err != nil {
			t.Logf("connect: %v (retrying)", err)
		}
		return err == nil
	})
	t.Cleanup(bus.Close)
	return bus
}

// streamLeader names the server leading the event stream's Raft group.
func streamLeader(ctx context.Context, t *testing.T, bus *Bus) (string, uint64) {
	t.Helper()
	s, err := bus.js.Stream(ctx, bus.cfg.Stream)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	info := s.CachedInfo()
	if info.Cluster == nil || info.Config.Replicas != 3 {
		t.Fatalf("stream %s is not an R3 clustered stream: replicas %d, cluster %+v",
			bus.cfg.Stream, info.Config.Replicas, info.Cluster)
	}
	return info.Cluster.Leader, info.State.Msgs
}

// moveLeaderTo makes server name the event stream's leader, asking the
// current leader to step down in its favour (JetStream API
// $JS.API.STREAM.LEADER.STEPDOWN with a preferred placement).
func moveLeaderTo(ctx context.Context, t *testing.T, bus *Bus, name string) {
	t.Helper()
	if leader, _ := streamLeader(ctx, t, bus); leader == name {
		return
	}
	req := fmt.Sprintf(`{"placement":{"preferred":%q}}`, name)
	msg, err := bus.nc.RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+bus.cfg.Stream, []byte(req))
	if err != nil {
		t.Fatalf("leader stepdown: %v", err)
	}
	var resp struct {
		Error *struct{ Description string } `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil || resp.Error != nil {
		t.Fatalf("leader stepdown: %s (%v)", msg.Data, err)
	}
	waitFor(t, 10*time.Second, "the stream leader to move to "+name, func() bool {
		leader, _ := streamLeader(ctx, t, bus)
		return leader == name
	})
}

// publishUntilStored publishes batch again and again, the way a producer
// (the api role, an external sender) retries a failed publish, until
// JetStream acknowledges every event of it. It returns how many attempts
// failed, and an error once deadline passes.
func publishUntilStored(bus *Bus, batch []channels.Event, deadline time.Time) (int, error) {
	failed := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := bus.Publish(ctx, batch)
		cancel()
		if err == nil {
			return failed, nil
		}
		failed++
		if time.Now().After(deadline) {
			return failed, fmt.Errorf("batch from %s still not stored after %d attempts: %w", batch[0].ID, failed, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestClusterLosesStreamLeader publishes events into an R3 stream, shuts
// the stream's leader (the producer's own server) down halfway, keeps
// publishing (retrying failed
// batches, so some events are sent twice), and checks that a durable
// consumer then receives every event id exactly once: the stream survives
// the loss of its leader with nothing lost, and the de-duplication on
// Nats-Msg-Id holds across the new leader. Replicas 3 is what
// deploy/compose.yaml and deploy/k8s set (REBOND_NATS_REPLICAS=3).
//
// server.Shutdown steps the node's Raft leaderships down before it stops
// (a rolling restart, a drained Kubernetes node), so the new leader is
// usually there within a second. A crashed node is noticed only after the
// Raft election timeout (4 to 9 s, server/raft.go in nats-server 2.15);
// this test does not simulate a crash.
func TestClusterLosesStreamLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster")
	}
	const total, batchSize, killAfter = 400, 20, 8 // batches before the leader goes
	c := startCluster(t)
	bus := connectCluster(t, c)
	ctx := context.Background()
	deadline := time.Now().Add(25 * time.Second)

	// The stream leader is the server the producer is connected to, so
	// the failover also takes the producer's connection away: it must
	// reconnect to another node and resend what was in flight.
	moveLeaderTo(ctx, t, bus, bus.nc.ConnectedServerName())

	// The consumer exists before the failover, so its own R3 state has to
	// move to a new leader too.
	cons, err := bus.Consumer(ctx, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	var batches [][]channels.Event
	for i := 0; i < total; i += batchSize {
		var b []channels.Event
		for j := i; j < i+batchSize; j++ {
			b = append(b, event(j))
		}
		batches = append(batches, b)
	}

	// The producer publishes batch after batch, retrying each until it is
	// stored, while the leader is shut down under it: publishes in flight
	// at that moment fail or time out, and are sent again.
	type result struct {
		failures int
		err      error
	}
	// storedBatch says when a batch's first attempt started and when it
	// was stored.
	type storedBatch struct {
		i          int
		start, end time.Time
	}
	stored := make(chan storedBatch, len(batches))
	done := make(chan result, 1)
	go func() {
		defer close(stored)
		failures := 0
		for i, b := range batches {
			start := time.Now()
			n, err := publishUntilStored(bus, b, deadline)
			failures += n
			if err != nil {
				done <- result{failures, err}
				return
			}
			stored <- storedBatch{i, start, time.Now()}
			if i >= killAfter {
				time.Sleep(20 * time.Millisecond) // keep publishing through the election
			}
		}
		done <- result{failures, nil}
	}()
	for b := range stored {
		if b.i == killAfter-1 {
			break
		}
	}
	// The producer goes on publishing from here on, through the shutdown.
	killed, before := streamLeader(ctx, t, bus)
	srv, ok := c.servers[killed]
	if !ok {
		t.Fatalf("stream leader %q is not one of the nodes", killed)
	}
	if conn := bus.nc.ConnectedServerName(); conn != killed {
		t.Logf("the producer is on %s, not on the leader %s", conn, killed)
	}
	t.Logf("shutting down stream leader %s with %d events stored", killed, before)
	failoverStart := time.Now()
	srv.Shutdown()
	srv.WaitForShutdown()
	failover := time.Duration(-1) // until a batch begun after the shutdown is stored
	for b := range stored {
		if failover < 0 && b.start.After(failoverStart) {
			failover = b.end.Sub(failoverStart)
		}
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	failures := res.failures
	// A producer that timed out on a batch which was in fact stored sends
	// it again; do so on purpose for batches from both sides of the
	// failover: the new leader must know the ids the old one stored.
	for _, b := range [][]channels.Event{batches[0], batches[killAfter]} {
		if _, err := publishUntilStored(bus, b, deadline); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("leader %s lost: the first batch begun after the shutdown began was stored %s after it; %d publish attempts failed and were retried",
		killed, failover.Round(time.Millisecond), failures)

	leader, msgs := streamLeader(ctx, t, bus)
	if leader == "" || leader == killed {
		t.Fatalf("stream leader after the failover is %q (the lost one was %q)", leader, killed)
	}
	// Each batch of batchSize (< BatchEvents) events is one message.
	if msgs != total/batchSize {
		t.Errorf("stream holds %d messages, want %d (each batch once)", msgs, total/batchSize)
	}

	seen := map[string]int{}
	deliveries := 0
	for time.Now().Before(deadline) {
		ds, err := cons.Fetch(ctx, 100, time.Second)
		if err != nil {
			t.Logf("fetch: %v (retrying)", err)
			continue
		}
		if len(ds) == 0 && len(seen) == total {
			break // drained, and one more empty pull found no duplicate
		}
		for _, d := range ds {
			for _, data := range d.Events() {
				var e channels.Event
				if err := json.Unmarshal(data, &e); err != nil {
					t.Fatalf("delivery %s: %v", d.MsgID, err)
				}
				seen[e.ID]++
				deliveries++
			}
			if err := d.Ack(); err != nil {
				t.Fatalf("ack %s: %v", d.MsgID, err)
			}
		}
	}
	for i := range total {
		if id := event(i).ID; seen[id] != 1 {
			t.Errorf("event %s delivered %d times, want exactly once", id, seen[id])
		}
	}
	if deliveries != total || len(seen) != total {
		t.Errorf("%d events delivered, %d distinct ids, want %d of %d", deliveries, len(seen), total, total)
	}
	// Acks lost with the old leader must be given up (Config.PublishTimeout),
	// not kept pending for ever: enough of those would stall the producer.
	waitFor(t, 2*publishTimeout, "lost publish acks to be given up", func() bool {
		return bus.js.PublishAsyncPending() == 0
	})
}

// BenchmarkPublishReplicas measures Publish of 500-event batches (about
// 1 KB each, the planning size of docs/SCALING.md) into a single server
// (R1) and into the 3-node cluster (R3). Every node runs in this process,
// so on a small machine R3 also pays for the two followers' CPU.
//
//	go test -run '^$' -bench PublishReplicas -benchtime 20x ./natsbus
func BenchmarkPublishReplicas(b *testing.B) {
	const batchSize = 500
	pad := strings.Repeat("x", 700) // raw payload: the event's JSON is then ~1 KB
	batch := func(n int) []channels.Event {
		evs := make([]channels.Event, batchSize)
		for i := range evs {
			e := event(n*batchSize + i)
			e.ID = fmt.Sprintf("ev_%09d", n*batchSize+i)
			e.Raw = pad
			evs[i] = e
		}
		return evs
	}
	run := func(b *testing.B, bus *Bus) {
		ctx := context.Background()
		size, _ := json.Marshal(batch(0)[0])
		b.SetBytes(int64(len(size) * batchSize))
		b.ResetTimer()
		for n := range b.N {
			if err := bus.Publish(ctx, batch(n)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("R1", func(b *testing.B) {
		srv, err := StartEmbedded(EmbeddedConfig{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Shutdown)
		bus, err := Connect(context.Background(), Config{URL: srv.URL()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(bus.Close)
		run(b, bus)
	})
	b.Run("R3", func(b *testing.B) {
		run(b, connectCluster(b, startCluster(b)))
	})
}

// TestLostPublishAcksAreGivenUp loses the quorum of the event stream (two
// of its three servers go), so a publish is never acknowledged: Publish
// returns on its ctx, and the acks it left pending must be given up after
// Config.PublishTimeout instead of staying pending for ever (the client
// holds at most 4000 before every publish stalls).
func TestLostPublishAcksAreGivenUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster")
	}
	c := startCluster(t)
	bus := connectCluster(t, c)
	ctx := context.Background()
	if err := bus.Publish(ctx, []channels.Event{event(0)}); err != nil {
		t.Fatal(err)
	}
	// Keep the producer's own server: a reconnect would fail the pending
	// acks at once and prove nothing.
	conn := bus.nc.ConnectedServerName()
	for name, srv := range c.servers {
		if name != conn {
			srv.Shutdown()
			srv.WaitForShutdown()
		}
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := bus.Publish(pctx, []channels.Event{event(1), event(2)}); err == nil {
		t.Fatal("Publish succeeded without a quorum")
	}
	t.Logf("pending acks after Publish returned: %d", bus.js.PublishAsyncPending())
	waitFor(t, 2*publishTimeout, "unanswered publish acks to be given up", func() bool {
		return bus.js.PublishAsyncPending() == 0
	})
}
