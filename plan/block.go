package plan

func (m *maker) blocks() {
	declared := map[string]bool{}
	for i := range m.d.Blocks {
		b := &m.d.Blocks[i]
		declared[b.Name] = true
		want := b.SizeMiB << 20
		ob, ok := m.o.Blocks[b.Name]
		from := m.movedFrom(KindBlock, b.Name)
		n := len(m.p.Changes)
		switch {
		case !ok:
			c := Change{Kind: KindBlock, Name: b.Name, Action: Create, Block: b, Reasons: []string{"declared, not in the data directory"},
				Fields: []Field{{Name: "size", After: mib(want)}}}
			if b.Source != "" {
				c.Fields = append(c.Fields, Field{Name: "source", After: b.Source})
			}
			m.p.Changes = append(m.p.Changes, c)
		case ob.SizeBytes < want:
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: b.Name, Action: Update, Block: b, PriorSizeBytes: ob.SizeBytes,
				Fields: []Field{{Name: "size", Before: mib(ob.SizeBytes), After: mib(want)}}})
		case ob.SizeBytes > want:
			if !m.in.AllowDataLoss {
				m.problem(b.Pos, KindBlock+"."+b.Name, "shrinking from %s to %s would destroy data at its end; pass -allow-data-loss to shrink it", mib(ob.SizeBytes), mib(want))
				continue
			}
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: b.Name, Action: Update, Block: b, PriorSizeBytes: ob.SizeBytes,
				Reasons: []string{"shrinking destroys the data beyond the new size (-allow-data-loss)"},
				Fields:  []Field{{Name: "size", Before: mib(ob.SizeBytes), After: mib(want)}}})
		}
		if from != "" {
			if len(m.p.Changes) == n {
				m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: b.Name, Action: Move, Block: b, PriorSizeBytes: ob.SizeBytes})
			}
			m.p.Changes[len(m.p.Changes)-1].MovedFrom = from
		}
	}
	for _, name := range sortedKeys(m.o.Blocks) {
		if declared[name] {
			continue
		}
		ob := m.o.Blocks[name]
		if m.in.AllowDataLoss {
			m.p.Changes = append(m.p.Changes, Change{Kind: KindBlock, Name: name, Action: Delete, PriorSizeBytes: ob.SizeBytes,
				Reasons: []string{"not in the configuration; its data is deleted (-allow-data-loss)"}})
			continue
		}
		m.p.Retained = append(m.p.Retained, Retained{Name: name, SizeBytes: ob.SizeBytes})
	}
}

func mib(bytes int64) string { return MiBText(bytes, 2) }
