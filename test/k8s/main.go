// Command testbed is a multi-call binary holding the control-plane components the integration
// bed runs: etcd, kube-apiserver, kube-controller-manager and kube-scheduler, all built from the
// published Go modules of one Kubernetes release. argv[1] picks the component; the remaining
// arguments are that component's own flags.
//
// Each component installs its own SIGTERM/SIGINT handler (genericapiserver.SetupSignalContext
// panics when called twice), so run one component per process.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream mains do
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream mains do
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream mains do
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"

	_ "time/tzdata" // CronJob time zones, as upstream kube-apiserver and kube-controller-manager do
)

const usage = `usage: %s <component> [flags...]

components:
  etcd                      etcd server (go.etcd.io/etcd/server/v3/etcdmain)
  kube-apiserver            Kubernetes API server
  kube-controller-manager   Kubernetes controller manager
  kube-scheduler            Kubernetes scheduler
`

func main() {
	self := filepath.Base(os.Args[0])
	if len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, usage, self)
		os.Exit(2)
	}
	component, rest := os.Args[1], os.Args[2:]

	switch component {
	case "etcd":
		// etcdmain.Main reads args[0] as the program name and parses args[1:] as etcd flags.
		etcdmain.Main(append([]string{"etcd"}, rest...))
		return
	case "kube-apiserver":
		cmd := apiserver.NewAPIServerCommand()
		cmd.SetArgs(rest)
		os.Exit(cli.Run(cmd))
	case "kube-controller-manager":
		cmd := controllermanager.NewControllerManagerCommand()
		cmd.SetArgs(rest)
		os.Exit(cli.Run(cmd))
	case "kube-scheduler":
		cmd := scheduler.NewSchedulerCommand()
		cmd.SetArgs(rest)
		os.Exit(cli.Run(cmd))
	case "-h", "--help", "help":
		fmt.Fprintf(os.Stdout, usage, self)
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown component %q\n\n"+usage, self, component, self)
		os.Exit(2)
	}
}
