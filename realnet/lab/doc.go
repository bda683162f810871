// Package lab runs dist-example on two hosts without VMs: network namespaces host1 and
// host2 joined by a veth pair (10.99.0.1 and 10.99.0.2), over the kernel's real UDP, with
// the impairments this kernel offers applied between them: iptables' statistic match for
// random loss on the receiver's INPUT chain, and a tbf rate limit on the sender's egress.
// (Kernels without the netem qdisc cannot add delay or reordering here; the userspace
// `dist-example proxy` covers those.)
//
// It is a test helper: it needs root and iproute2 (and iptables for loss), and skips the
// test with the reason when they are missing. Namespace names carry the process id and a
// counter, so tests and lab.sh runs can go on at the same time; everything is removed in
// t.Cleanup, failure included. The package's tests are the experiment (clean link,
// iptables loss, tbf rate, the proxy between the hosts), with -lab.* flags for its knobs;
// realnet/lab/lab.sh only compiles and runs them with its flags, so the experiment has
// one implementation.
//
// Usage:
//
//	func TestOverLoss(t *testing.T) {
//		l := lab.New(t)          // skips unless root with iproute2
//		bin := lab.Binary(t)     // $DIST_EXAMPLE_BIN, or go build into t.TempDir()
//		l.Host2.DropInput(t, 2345, 0.05)
//		r := l.Host2.StartRecv(t, bin, 2345)
//		l.Host1.Send(t, bin, netip.AddrPortFrom(lab.Addr2, 2345), 100*time.Microsecond, 20000)
//		// ... wait until l.Host2.Input(t) has seen them all and l.Host2.UDPQueued(t, 2345) == 0
//		totals := r.Stop(t)      // the receiver's final totals (app.Counts)
//	}
//
// Set Host.Root to run a host's dist-example chrooted in a provisioned root filesystem
// (its /usr/bin/dist-example), as CI does with the roots playbook.yml provisioned; the
// package's test reads them from DIST_EXAMPLE_LAB_ROOT1 and DIST_EXAMPLE_LAB_ROOT2.
package lab
