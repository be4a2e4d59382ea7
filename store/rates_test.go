package store

import "testing"

func TestRateRowFinish(t *testing.T) {
	r := RateRow{Sent: 100, Delivered: 60, Soft: 20, Hard: 10, Complaints: 1}
	r.finish(200)
	if r.Pending != 10 || r.SoftRate != 0.2 || r.HardRate != 0.1 || r.ComplaintRate != 0.01 || !r.LowVolume {
		t.Errorf("%+v", r)
	}
	if r.HardRateCI.Low >= 0.1 || r.HardRateCI.High <= 0.1 {
		t.Errorf("the interval must contain the rate: %+v", r.HardRateCI)
	}
}
