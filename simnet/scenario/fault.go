package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultKind says what a Fault does.
type FaultKind uint8

const (
	// Partition cuts host1 and host2 apart (both ways) until the next Heal.
	Partition FaultKind = iota + 1
	// Heal ends every partition.
	Heal
	// Restart crashes host1 (the sender's conn closes), brings it back after Down and
	// starts a new sender on the same address and port, from number Start: to the
	// receiver, the same source starting over.
	Restart
	// Jump makes the sender go on from number Start instead of the next number, with no
	// pause: a sender that skipped ahead (or back).
	Jump
)

var kindNames = [...]string{Partition: "partition", Heal: "heal", Restart: "restart", Jump: "jump"}

func (k FaultKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one scheduled event of a scenario.
type Fault struct {
	At    time.Duration // virtual time from the start of the run
	Kind  FaultKind
	Down  time.Duration // Restart: how long host1 stays down
	Start int64         // Restart, Jump: the sender's next number
}

// String renders f as ParseFaults reads it: "partition@2s", "heal@3s",
// "restart@5s down=500ms start=0", "jump@7s start=100000".
func (f Fault) String() string {
	s := f.Kind.String() + "@" + f.At.String()
	switch f.Kind {
	case Restart:
		s += " down=" + f.Down.String() + " start=" + strconv.FormatInt(f.Start, 10)
	case Jump:
		s += " start=" + strconv.FormatInt(f.Start, 10)
	}
	return s
}

// FormatFaults renders a schedule as ParseFaults reads it: the faults joined by ", ".
func FormatFaults(fs []Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, ", ")
}

// ParseFaults reads a schedule: faults separated by commas, each KIND@TIME followed, for
// restart, by down=DURATION and start=NUMBER, and, for jump, by start=NUMBER. Times are
// Go durations ("1.5s", "200ms"). The empty string is no faults.
func ParseFaults(text string) ([]Fault, error) {
	var out []Fault
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	for _, item := range strings.Split(text, ",") {
		f, err := parseFault(strings.Fields(item))
		if err != nil {
			return nil, fmt.Errorf("fault %q: %w", strings.TrimSpace(item), err)
		}
		out = append(out, f)
	}
	return out, nil
}

const faultSyntax = "want partition@T, heal@T, restart@T down=D start=N or jump@T start=N"

func parseFault(fields []string) (Fault, error) {
	var f Fault
	if len(fields) == 0 {
		return f, fmt.Errorf("empty; %s", faultSyntax)
	}
	kind, at, ok := strings.Cut(fields[0], "@")
	if !ok {
		return f, fmt.Errorf("no @TIME; %s", faultSyntax)
	}
	for k, name := range kindNames {
		if name != "" && name == kind {
			f.Kind = FaultKind(k)
		}
	}
	if f.Kind == 0 {
		return f, fmt.Errorf("unknown kind %q; %s", kind, faultSyntax)
	}
	d, err := time.ParseDuration(at)
	if err != nil || d < 0 {
		return f, fmt.Errorf("time %q: want a duration >= 0 such as 2s or 1500ms", at)
	}
	f.At = d
	var hasDown, hasStart bool
	for _, kv := range fields[1:] {
		key, val, _ := strings.Cut(kv, "=")
		switch {
		case key == "down" && f.Kind == Restart:
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return f, fmt.Errorf("down %q: want a duration >= 0 such as 500ms", val)
			}
			f.Down, hasDown = d, true
		case key == "start" && (f.Kind == Restart || f.Kind == Jump):
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return f, fmt.Errorf("start %q: want an integer (int64)", val)
			}
			f.Start, hasStart = n, true
		default:
			return f, fmt.Errorf("unexpected %q; %s", kv, faultSyntax)
		}
	}
	switch {
	case f.Kind == Restart && (!hasDown || !hasStart):
		return f, fmt.Errorf("restart needs down=D and start=N")
	case f.Kind == Jump && !hasStart:
		return f, fmt.Errorf("jump needs start=N")
	}
	return f, nil
}

// checkFaults validates a schedule against the run's duration: times in order and
// inside the run, and no restart or jump while host1 is down.
func checkFaults(fs []Fault, duration time.Duration) error {
	var prev, upAt time.Duration
	for i, f := range fs {
		switch {
		case f.Kind < Partition || f.Kind > Jump:
			return fmt.Errorf("fault %d: unknown kind %d", i+1, f.Kind)
		case f.At < prev:
			return fmt.Errorf("fault %q: at %v is before the fault ahead of it (%v): list faults in time order", f, f.At, prev)
		case f.At >= duration:
			return fmt.Errorf("fault %q: at %v is not inside the run (duration %v)", f, f.At, duration)
		case f.Down < 0:
			return fmt.Errorf("fault %q: down must be >= 0", f)
		case f.Kind == Restart && f.Down > duration-f.At: // f.At+f.Down could overflow
			return fmt.Errorf("fault %q: host1 would still be down at the end of the run (%v)", f, duration)
		case (f.Kind == Restart || f.Kind == Jump) && f.At < upAt:
			return fmt.Errorf("fault %q: host1 is down until %v", f, upAt)
		}
		prev = f.At
		if f.Kind == Restart {
			upAt = f.At + f.Down
		}
	}
	return nil
}
