package config

import (
	"fmt"
	"math/big"
	"net/netip"
	"path/filepath"
	"sync"
	"unicode/utf8"

	"github.com/roostd/roost/internal/regfile"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions HCL expressions may call: go-cty's
// standard library under Terraform's names, plus file, cidrhost and
// cidrsubnet. file paths are relative to dir, the configuration directory.
func functions(dir string) map[string]function.Function {
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"cidrhost":        cidrHostFunc,
		"cidrsubnet":      cidrSubnetFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"file":            fileFunc(dir),
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      jsonDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
}

// fileFunc is Terraform's file(path): the contents of a UTF-8 file, with
// relative paths taken from the configuration directory. The file must be
// a regular file of at most MaxFileSize bytes, read without blocking
// (regfile); each path is read once per load, however often it is called.
func fileFunc(dir string) function.Function {
	var mu sync.Mutex // guards read
	read := map[string]cty.Value{}
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			given := args[0].AsString()
			p := given
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			mu.Lock()
			defer mu.Unlock()
			if v, ok := read[p]; ok {
				return v, nil
			}
			b, err := regfile.ReadFile(p, MaxFileSize)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "read %s: %s", given, pathErrText(err))
			}
			if !utf8.Valid(b) {
				return cty.NilVal, function.NewArgErrorf(0, "contents of %s are not valid UTF-8", given)
			}
			v := cty.StringVal(string(b))
			read[p] = v
			return v, nil
		},
	})
}

// jsonDecodeFunc is go-cty's jsondecode, refusing JSON that nests deeper
// than MaxNesting: its decoder recurses once per level, and a string
// literal or a file() of a million brackets would overflow the stack, which
// no recover can catch.
var jsonDecodeFunc = function.New(&function.Spec{
	Params: stdlib.JSONDecodeFunc.Params(),
	Type: func(args []cty.Value) (cty.Type, error) {
		if v := args[0]; v.IsKnown() && !v.IsNull() {
			s, _ := v.Unmark()
			if jsonNesting(s.AsString()) > MaxNesting {
				return cty.NilType, function.NewArgErrorf(0, "the JSON nests more than %d levels deep", MaxNesting)
			}
		}
		return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return stdlib.JSONDecodeFunc.Call(args)
	},
})

// jsonNesting returns the deepest nesting of arrays and objects in s,
// skipping strings and their escapes.
func jsonNesting(s string) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case (c == ']' || c == '}') && depth > 0:
			depth--
		}
	}
	return deepest
}

// cidrHostFunc is Terraform's cidrhost(prefix, hostnum): the address of host
// number hostnum in prefix; negative numbers count from the end.
var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "invalid CIDR prefix %q", args[0].AsString())
		}
		n, acc := args[1].AsBigFloat().Int(nil)
		if acc != big.Exact {
			return cty.NilVal, function.NewArgErrorf(1, "host number must be a whole number")
		}
		a, err := hostAddr(p.Masked(), n)
		if err != nil {
			return cty.NilVal, function.NewArgError(1, err)
		}
		return cty.StringVal(a.String()), nil
	},
})

// cidrSubnetFunc is Terraform's cidrsubnet(prefix, newbits, netnum).
var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "invalid CIDR prefix %q", args[0].AsString())
		}
		p = p.Masked()
		newbits, acc := args[1].AsBigFloat().Int64()
		if acc != big.Exact || newbits < 0 {
			return cty.NilVal, function.NewArgErrorf(1, "newbits must be a non-negative whole number")
		}
		bits := p.Bits() + int(newbits)
		if bits > p.Addr().BitLen() {
			return cty.NilVal, function.NewArgErrorf(1, "%d new bits on a /%d prefix exceed the %d-bit address", newbits, p.Bits(), p.Addr().BitLen())
		}
		netnum, acc := args[2].AsBigFloat().Int(nil)
		if acc != big.Exact || netnum.Sign() < 0 {
			return cty.NilVal, function.NewArgErrorf(2, "netnum must be a non-negative whole number")
		}
		if netnum.BitLen() > int(newbits) {
			return cty.NilVal, function.NewArgErrorf(2, "netnum %s does not fit in %d bits", netnum, newbits)
		}
		base := new(big.Int).SetBytes(p.Addr().AsSlice())
		base.Or(base, new(big.Int).Lsh(netnum, uint(p.Addr().BitLen()-bits)))
		a := addrFromInt(base, p.Addr().BitLen())
		return cty.StringVal(netip.PrefixFrom(a, bits).String()), nil
	},
})

func hostAddr(p netip.Prefix, n *big.Int) (netip.Addr, error) {
	hostBits := p.Addr().BitLen() - p.Bits()
	size := new(big.Int).Lsh(big.NewInt(1), uint(hostBits))
	num := new(big.Int).Set(n)
	if num.Sign() < 0 {
		num.Add(num, size)
	}
	if num.Sign() < 0 || num.Cmp(size) >= 0 {
		return netip.Addr{}, fmt.Errorf("prefix %s has no host number %s", p, n)
	}
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	return addrFromInt(base.Or(base, num), p.Addr().BitLen()), nil
}

func addrFromInt(v *big.Int, bitLen int) netip.Addr {
	b := make([]byte, bitLen/8)
	v.FillBytes(b)
	a, _ := netip.AddrFromSlice(b)
	return a
}
