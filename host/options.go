package host

import (
	"maps"
	"os"
	"runtime"
	"time"
)

// Defaults of the sandbox. Each can be changed per plugin with an Option.
const (
	DefaultMemoryLimit   = 64 << 20 // bytes of linear memory, per memory
	DefaultToolTimeout   = 10 * time.Second
	DefaultParserTimeout = 1 * time.Second // also retry strategies
	DefaultMaxInput      = 8 << 20
	DefaultMaxOutput     = 8 << 20
	DefaultMaxStderr     = 64 << 10
	// DefaultLoadTimeout bounds a whole Load: compiling (unless the
	// compilation cache has the module), instantiating, describing. It is
	// a backstop for time only: ModuleLimits bound what a Load may cost in
	// memory and, per byte of module, in time. It is wide because a
	// timeout cannot tell a slow machine from a slow module: a 3.6 MB Go
	// guest compiles in about 1 s on an idle 2-core machine, but took over
	// 60 s under the race detector at a load average of 16. A host that
	// loads untrusted modules on a machine it knows can set a tighter one.
	DefaultLoadTimeout = 5 * time.Minute
)

// DefaultMaxInstances is how many instances of one plugin may be alive at
// once unless WithMaxInstances says otherwise: GOMAXPROCS, at least 4.
// Concurrent calls beyond it wait for a free instance (or their context),
// so that N callers cannot make N instances of up to the memory limit each.
func DefaultMaxInstances() int { return max(4, runtime.GOMAXPROCS(0)) }

// An Option changes how Load loads a plugin and the sandbox it runs in.
type Option func(*config)

type config struct {
	name      string
	sha256    string
	cacheDir  string // "" with noCache false: the default directory
	noCache   bool
	memory    int64
	toolTO    time.Duration
	parserTO  time.Duration
	retryTO   time.Duration
	maxInput  int64
	maxOutput int64
	maxStderr int
	config    map[string]string
	env       map[string]string
	hosts     []string
	paths     []mount
	grants    []grant     // paths, opened by Load (see mount.go)
	hidden    os.FileInfo // the cache key, hidden from every grant (see grantcheck.go)
	maxIdle   int
	maxLive   int
	// schemaLimits bound tool schemas and arguments (schemalimits.go).
	schemaLimits SchemaLimits
	// describeLimits bound what describe declares (describelimits.go).
	describeLimits DescribeLimits
	loadTO         time.Duration
	limits         ModuleLimits // zero fields: DefaultModuleLimits
}

// mount is a directory grant: hostPath, seen by the guest at GuestPath.
type mount struct {
	HostPath, GuestPath string
	Writable            bool
}

func newConfig(opts []Option) *config {
	c := &config{
		memory:    DefaultMemoryLimit,
		toolTO:    DefaultToolTimeout,
		parserTO:  DefaultParserTimeout,
		retryTO:   DefaultParserTimeout,
		maxInput:  DefaultMaxInput,
		maxOutput: DefaultMaxOutput,
		maxStderr: DefaultMaxStderr,
		maxIdle:   max(2, runtime.GOMAXPROCS(0)),
		maxLive:   DefaultMaxInstances(),
		loadTO:    DefaultLoadTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithName names the plugin in errors and Info, instead of the name its
// describe reports (or, lacking one, its file name).
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithSHA256 pins the module's content: Load fails unless the bytes hash to
// hexDigest (64 hex digits, case-insensitive).
func WithSHA256(hexDigest string) Option { return func(c *config) { c.sha256 = hexDigest } }

// WithCacheDir keeps compiled machine code in dir, so that a later process
// loading the same module skips compilation. The default is
// os.UserCacheDir()/llmhost/wazero (see DefaultCacheDir). Plugins loaded
// with the same directory in one process also share the compiled code in
// memory.
func WithCacheDir(dir string) Option {
	return func(c *config) { c.cacheDir, c.noCache = dir, false }
}

// WithoutCache compiles the module afresh, sharing compiled code with no
// other Load, in memory or on disk.
func WithoutCache() Option { return func(c *config) { c.cacheDir, c.noCache = "", true } }

// WithMaxMemory caps each linear memory of the plugin at bytes (rounded
// down to whole 64 KiB pages). A guest that asks for more gets a failed
// memory.grow; if it then fails, the error's reason is ReasonMemoryLimit.
func WithMaxMemory(bytes int64) Option { return func(c *config) { c.memory = bytes } }

// WithTimeout sets the timeout of every call: tools, parsers, retry
// strategies and raw calls. Timeouts cannot be switched off: wazero stops a
// guest whose context is done, whatever it is doing.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.toolTO, c.parserTO, c.retryTO = d, d, d }
}

// WithToolTimeout sets the timeout of tool calls, raw calls and the
// plugin's start-up (default 10 s).
func WithToolTimeout(d time.Duration) Option { return func(c *config) { c.toolTO = d } }

// WithParserTimeout sets the timeout of parse calls (default 1 s).
func WithParserTimeout(d time.Duration) Option { return func(c *config) { c.parserTO = d } }

// WithRetryTimeout sets the timeout of decide calls (default 1 s).
func WithRetryTimeout(d time.Duration) Option { return func(c *config) { c.retryTO = d } }

// WithMaxInput caps the bytes passed to one call (default 8 MiB).
func WithMaxInput(bytes int64) Option { return func(c *config) { c.maxInput = bytes } }

// WithMaxOutput caps the bytes one call may return (default 8 MiB).
func WithMaxOutput(bytes int64) Option { return func(c *config) { c.maxOutput = bytes } }

// WithMaxStderr caps the guest's stderr kept per call for errors (default
// 64 KiB). The rest is dropped.
func WithMaxStderr(bytes int) Option { return func(c *config) { c.maxStderr = bytes } }

// WithConfig grants the plugin configuration values. Native guests receive
// them through llmhost_configure (pdk.Config), Extism guests through
// config_get. Calls accumulate.
func WithConfig(kv map[string]string) Option {
	return func(c *config) {
		if c.config == nil {
			c.config = map[string]string{}
		}
		maps.Copy(c.config, kv)
	}
}

// WithEnv grants the plugin environment variables. By default it sees none.
func WithEnv(kv map[string]string) Option {
	return func(c *config) {
		if c.env == nil {
			c.env = map[string]string{}
		}
		maps.Copy(c.env, kv)
	}
}

// WithAllowedHosts lets an Extism plugin make HTTP requests to these hosts
// (exact names or globs such as "*.example.com"; a port is not part of a
// grant). Patterns are checked at Load, so a bad one is a Load error. Only
// http and https are allowed, and every redirect hop must lead to a granted
// host too (at most 10), within the call's deadline; request and response
// bodies are capped at WithMaxOutput. Native guests are offered no network
// at all, so for them this grants nothing.
func WithAllowedHosts(hosts ...string) Option {
	return func(c *config) { c.hosts = append(c.hosts, hosts...) }
}

// WithAllowedPath grants read-only access to the host directory hostPath,
// which the guest sees as guestPath. The guest reaches nothing outside it:
// not through "..", and not through a symbolic link in it that leads
// elsewhere (links that stay inside work). It can change nothing in it: an
// open that asks to write, create or truncate fails with EROFS, as do
// mkdir, rmdir, unlink, rename, link, symlink and setting times by path;
// writing, resizing or setting times through a descriptor fails with EBADF.
//
// Only regular files and directories open: a FIFO, socket or device in the
// directory fails with EACCES, since its open or reads could block past the
// call's deadline. The compilation cache's key cannot be opened either
// (EACCES), and a grant may not overlap a writable one, nor a writable one
// the compilation cache: Load fails, naming both (see grantcheck.go).
func WithAllowedPath(hostPath, guestPath string) Option {
	return func(c *config) { c.paths = append(c.paths, mount{HostPath: hostPath, GuestPath: guestPath}) }
}

// WithWritablePath grants read-write access to hostPath, seen as guestPath,
// confined like WithAllowedPath. The guest may make symbolic links only
// downward: a relative target with no ".." component (EPERM otherwise), so
// no link it makes leads out of the directory, wherever it is later moved.
// It may not rename or hard-link a link that points elsewhere. Links the
// host put there that point up or out stay the host's concern: the guest
// cannot follow them out, but it can move the directory that holds them.
func WithWritablePath(hostPath, guestPath string) Option {
	return func(c *config) {
		c.paths = append(c.paths, mount{HostPath: hostPath, GuestPath: guestPath, Writable: true})
	}
}

// WithMaxIdle sets how many idle instances the plugin's pool keeps warm
// (default GOMAXPROCS, at least 2). Instances beyond it are closed when
// their call returns.
func WithMaxIdle(n int) Option { return func(c *config) { c.maxIdle = n } }

// WithMaxInstances bounds the instances alive at once (default
// DefaultMaxInstances); further calls wait for one to be free, or for their
// context to end. n must be positive: every instance may hold up to the
// memory limit, so an unbounded pool would let concurrent callers take
// without bound.
func WithMaxInstances(n int) Option { return func(c *config) { c.maxLive = n } }

// WithLoadTimeout bounds the time Load may take, compilation, the first
// instance and describe included (default DefaultLoadTimeout, 5 minutes). A
// Load past it fails with an error that wraps context.DeadlineExceeded.
// The compiler stops between two functions, so one function's compilation
// is bounded by ModuleLimits rather than by the timeout; a module from
// the compilation cache is not compiled again and loads well within it.
func WithLoadTimeout(d time.Duration) Option { return func(c *config) { c.loadTO = d } }
