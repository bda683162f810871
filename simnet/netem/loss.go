package netem

import "math/rand/v2"

// lossState is the memory of the loss models: the Markov state and the random model's
// correlation.
type lossState struct {
	state uint8 // 4-state: 1..4 (1 = receiving in gap); gemodel: 1 good, 2 bad
	corr  crand // random model
}

const (
	geGood = 1
	geBad  = 2
)

// event reports whether the loss model removes the packet, drawing from r as the
// kernel's loss_event does.
func (s *lossState) event(l *Loss, r *rand.PCG) bool {
	switch l.Model {
	case LossRandom:
		return l.P != 0 && uint32(l.P) >= s.corr.next(r)
	case LossState:
		return s.fourState(l, u32(r))
	case LossGemodel:
		return s.gilbertElliott(l, r)
	}
	return false
}

// fourState is the GI model of loss_4state: one draw per packet. States: 1 receiving
// in the gap, 2 receiving in a burst, 3 lost in a burst, 4 isolated loss in the gap.
func (s *lossState) fourState(l *Loss, r uint32) bool {
	rr := uint64(r)
	switch s.state {
	case 1:
		switch {
		case rr < uint64(l.P14):
			s.state = 4
			return true
		case rr < uint64(l.P13)+uint64(l.P14):
			s.state = 3
			return true
		}
	case 2:
		if rr < uint64(l.P23) {
			s.state = 3
			return true
		}
	case 3:
		switch {
		case rr < uint64(l.P32):
			s.state = 2
		case rr < uint64(l.P31)+uint64(l.P32):
			s.state = 1
		default:
			return true
		}
	case 4:
		s.state = 1
	}
	return false
}

// gilbertElliott is loss_gilb_ell: two draws per packet, the first for the transition,
// the second for the loss decision in the state held before the transition.
func (s *lossState) gilbertElliott(l *Loss, r *rand.PCG) bool {
	h := uint32(Always - l.H1) // tc sends h = 2^32−1 − (1−h)
	if s.state == geBad {
		if u32(r) < uint32(l.R) {
			s.state = geGood
		}
		return u32(r) > h
	}
	if u32(r) < uint32(l.P) {
		s.state = geBad
	}
	return u32(r) < uint32(l.K1)
}
