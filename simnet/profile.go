package simnet

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dist-example/dist-example/simnet/netem"
)

// A link (one direction between two hosts) exists once it has carried something; until
// then its pair's profile is its own (n.overrides) or the default, and it is created
// with that. SetLink and SetDefault therefore install a whole profile, which gives the
// same link whether it exists yet or not; ChangeLink, whose result depends on the
// profile it changes, creates the link first so that it always merges into a real one.

// SetLink makes p, exactly, the profile of the link from src to dst, replacing the
// default and any earlier SetLink or ChangeLink, as `tc qdisc replace` would: nothing of
// the old profile survives (a corrupt, rate, slot or seed that p leaves out is gone).
// Datagrams already on the link keep their due times, and the link keeps its counters
// and the positions of its random streams. The link behaves the same whether or not it
// has carried traffic yet. For tc's "change" semantics use ChangeLink.
func (n *Network) SetLink(src, dst string, p netem.Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("simnet: SetLink %s->%s: %w", src, dst, err)
	}
	n.lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked("SetLink", []string{src, dst})
	if err != nil {
		return err
	}
	k := pairKey{int32(hs[0].idx), int32(hs[1].idx)}
	n.overrides[k] = p
	if l := n.links[k]; l != nil {
		l.nl.Replace(p)
		n.armLocked(l)
	}
	n.trace.fault(n.now, "profile "+hs[0].name+"->"+hs[1].name+" "+profileText(n.linkProfileLocked(k)))
	return nil
}

// ChangeLink changes the profile of the link from src to dst with tc's "change"
// semantics (netem.Link.SetProfile, `tc qdisc change`): limit, delay, jitter, the loss
// model, duplicate, reorder and gap are taken from p (and reset to their defaults when p
// leaves them out), while corrupt, rate, ecn, slot, the correlations, seed and the delay
// table are kept unless p sets them. Datagrams already on the link keep their due times.
//
// The change applies to the profile the link has now, its own or the default; a link
// that has carried nothing yet is set up at once with that profile and then changed, so
// the result does not depend on whether the link has been used. Afterwards the link
// has a profile of its own (SetDefault no longer touches it), and LinkProfile returns
// the merged profile.
func (n *Network) ChangeLink(src, dst string, p netem.Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("simnet: ChangeLink %s->%s: %w", src, dst, err)
	}
	n.lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked("ChangeLink", []string{src, dst})
	if err != nil {
		return err
	}
	l := n.linkLocked(hs[0], hs[1])
	l.nl.SetProfile(p)
	// Only a marker now (the link exists, so its profile is read from it): the merged
	// profile may hold settings, such as a delay table kept while jitter is 0, that a
	// Profile value cannot show.
	n.overrides[pairKey{int32(hs[0].idx), int32(hs[1].idx)}] = l.nl.Profile()
	n.armLocked(l)
	n.trace.fault(n.now, "change "+l.name+" "+profileText(l.nl.Profile()))
	return nil
}

// SetDefault makes p, exactly, the profile of every link between two different hosts
// that has none of its own (from SetLink or ChangeLink), with SetLink's `tc qdisc
// replace` semantics: links already carrying packets keep their queues, counters and
// random streams' positions, links not used yet start with p.
func (n *Network) SetDefault(p netem.Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("simnet: SetDefault: %w", err)
	}
	n.lock()
	defer n.mu.Unlock()
	n.def = p
	keys := make([]pairKey, 0, len(n.links))
	for k := range n.links {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pairKey) int {
		return cmp.Or(cmp.Compare(a.src, b.src), cmp.Compare(a.dst, b.dst))
	})
	for _, k := range keys {
		if _, own := n.overrides[k]; own || k.src == k.dst {
			continue
		}
		l := n.links[k]
		l.nl.Replace(p)
		n.armLocked(l)
	}
	n.trace.fault(n.now, "default "+profileText(p))
	return nil
}

// LinkProfile returns the profile the link from src to dst applies now (after
// ChangeLink, the merged one), or, if it has carried nothing yet, the one it will start
// with.
func (n *Network) LinkProfile(src, dst string) (netem.Profile, error) {
	n.lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked("LinkProfile", []string{src, dst})
	if err != nil {
		return netem.Profile{}, err
	}
	return n.linkProfileLocked(pairKey{int32(hs[0].idx), int32(hs[1].idx)}), nil
}

// linkProfileLocked is what the link between k's hosts applies, or will start with.
func (n *Network) linkProfileLocked(k pairKey) netem.Profile {
	if l := n.links[k]; l != nil {
		return l.nl.Profile()
	}
	return n.profileLocked(k)
}

// profileText is p as tc text, or "none" for a profile that impairs nothing.
func profileText(p netem.Profile) string {
	if s := p.String(); s != "" {
		return s
	}
	return "none"
}
