package ui

import (
	"hash/fnv"
	"image/color"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// palette is every colour the UI uses, for one kind of terminal
// background. The dark one is the classic 16-colour set; the light one
// trades yellow and cyan, unreadable on white, for darker shades.
type palette struct {
	title, key, live, paused color.Color
	good, warn, bad, muted   color.Color
	accent                   color.Color
	durSub, durS, durLong    color.Color
	critical, bar, marker    color.Color
	// services tell the services of a trace apart; a service keeps its
	// colour everywhere (see serviceStyle). No reds: those mean errors.
	services []color.Color
}

func paletteFor(dark bool) palette {
	ld := lipgloss.LightDark(dark)
	c := lipgloss.Color
	p := palette{
		title:    ld(c("24"), c("6")),
		key:      ld(c("24"), c("6")),
		live:     ld(c("28"), c("2")),
		paused:   ld(c("130"), c("3")),
		good:     ld(c("28"), c("2")),
		warn:     ld(c("130"), c("3")),
		bad:      ld(c("124"), c("1")),
		muted:    ld(c("243"), c("8")),
		accent:   ld(c("90"), c("5")),
		durSub:   ld(c("243"), c("8")),
		durS:     ld(c("130"), c("3")),
		durLong:  ld(c("124"), c("1")),
		critical: ld(c("160"), c("203")),
		bar:      ld(c("244"), c("245")),
		marker:   ld(c("130"), c("3")),
	}
	for _, pair := range [][2]string{
		{"25", "75"},   // blue
		{"28", "114"},  // green
		{"130", "215"}, // orange
		{"127", "176"}, // orchid
		{"30", "80"},   // teal
		{"94", "180"},  // tan
		{"61", "147"},  // lavender
		{"64", "150"},  // olive
		{"31", "117"},  // sky
		{"100", "186"}, // khaki
		{"91", "141"},  // purple
		{"23", "73"},   // sea
	} {
		p.services = append(p.services, ld(c(pair[0]), c(pair[1])))
	}
	return p
}

// fgc is a foreground colour as a style.
func fgc(c color.Color) style {
	if c == nil {
		return style{}
	}
	return style{ansi.Style{}.ForegroundColor(c).String(), "\x1b[39m"}
}

// serviceColours gives each service name a palette index: in the order
// services are first drawn, so the first dozen never share a colour, and
// kept for the whole session (also across a change of background).
type serviceColours struct {
	index map[string]int
}

// maxServiceColours bounds the names remembered; a flood of service names
// (a hostile sender) gets colours by hash instead.
const maxServiceColours = 1024

func (c *serviceColours) of(name string, n int) int {
	if i, ok := c.index[name]; ok {
		return i % n
	}
	if len(c.index) >= maxServiceColours {
		h := fnv.New32a()
		_, _ = h.Write([]byte(name))
		return int(h.Sum32() % uint32(n))
	}
	if c.index == nil {
		c.index = map[string]int{}
	}
	i := len(c.index)
	c.index[name] = i
	return i % n
}

// serviceStyle returns the colour of a service.
func (s *styles) serviceStyle(name string) style {
	if len(s.services) == 0 {
		return style{}
	}
	return s.services[s.svcColours.of(name, len(s.services))]
}
