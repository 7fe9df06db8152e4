package clix

import "github.com/urfave/cli/v2"

// CheckSettings is the name of the flag every tool has (CheckSettingsFlag).
const CheckSettings = "check-settings"

// CheckSettingsFlag returns the flag every tool has to check its flags,
// environment variables and places, then exit without reading or writing
// anything: the job runs each stage with it before the export starts, so
// that a bad setting stops the run at once, named in the error.
func CheckSettingsFlag() cli.Flag {
	return &cli.BoolFlag{Name: CheckSettings,
		Usage: "check the flags, the variables and the places given, then exit (0 when they can work; on a terminal, one line says so) without reading or writing anything"}
}
