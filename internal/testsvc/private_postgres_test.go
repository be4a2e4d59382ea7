package testsvc

import (
	"database/sql"
	"testing"
)

// TestPrivatePostgresRestart: a row committed before an immediate
// (crash-like) stop is there after the restart, on the same URL.
func TestPrivatePostgresRestart(t *testing.T) {
	t.Parallel()
	pg := StartPrivatePostgres(t)
	db, err := sql.Open("postgres", pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err == nil {
		t.Fatal("ping succeeded while the server was stopped")
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT n FROM kept`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("after restart: n=%d, %v; want 42", n, err)
	}
}
