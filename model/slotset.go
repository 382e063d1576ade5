package model

// slotSet is a set of span slots as a bitmap: 128 KiB covers a million
// slots, so testing a slot is an L2 hit.
type slotSet []uint64

// add puts slot in the set, growing it as needed.
func (s *slotSet) add(slot uint32) {
	w := int(slot / 64)
	if w >= len(*s) {
		*s = append(*s, make([]uint64, w+1-len(*s))...)
	}
	(*s)[w] |= 1 << (slot % 64)
}

func (s slotSet) has(slot uint32) bool {
	w := int(slot / 64)
	return w < len(s) && s[w]&(1<<(slot%64)) != 0
}
