package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxFailures is cluster.max_failures (or --max-failures) read: how many
// agents may fail before `up` starts no further batch. Exactly one of Count
// and Percent is meaningful, as IsPercent says.
type MaxFailures struct {
	Count     int
	Percent   int
	IsPercent bool
}

// ParseMaxFailures reads a count like "3" or a percentage of the agents like
// "10%"; "" is 0 (the first failed batch stops the run).
func ParseMaxFailures(s string) (MaxFailures, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return MaxFailures{}, nil
	}
	num, pct := strings.CutSuffix(s, "%")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	switch {
	case err != nil || n < 0:
		return MaxFailures{}, fmt.Errorf("%q is not a count of agents like 3 or a percentage of them like 10%%", s)
	case pct && n > 100:
		return MaxFailures{}, fmt.Errorf("%q is more than 100%% of the agents", s)
	case pct:
		return MaxFailures{Percent: n, IsPercent: true}, nil
	}
	return MaxFailures{Count: n}, nil
}

// Of returns how many of agents may fail: the count, or the percentage of
// agents rounded down.
func (m MaxFailures) Of(agents int) int {
	if m.IsPercent {
		return agents * m.Percent / 100
	}
	return m.Count
}

// String is the value as written: "3" or "10%".
func (m MaxFailures) String() string {
	if m.IsPercent {
		return strconv.Itoa(m.Percent) + "%"
	}
	return strconv.Itoa(m.Count)
}

// AgentFailureLimit is how many of agents may fail in this cluster's `up`
// (cluster.max_failures, already validated: a bad value counts as 0).
func (c Cluster) AgentFailureLimit(agents int) int {
	m, err := ParseMaxFailures(c.MaxFailures)
	if err != nil {
		return 0
	}
	return m.Of(agents)
}
