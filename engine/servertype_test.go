package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/config"
)

// TestMissingPluginNamesItsImport: a program that selects the multicore
// type without linking it learns which import it lacks.
func TestMissingPluginNamesItsImport(t *testing.T) {
	serverTypesMu.Lock()
	saved, linked := serverTypes[config.ServerMulticore]
	delete(serverTypes, config.ServerMulticore)
	serverTypesMu.Unlock()
	defer func() {
		if linked {
			serverTypesMu.Lock()
			serverTypes[config.ServerMulticore] = saved
			serverTypesMu.Unlock()
		}
	}()
	_, err := lookupServerType(config.ServerMulticore)
	if !errors.Is(err, ErrUnknownServerType) {
		t.Fatalf("lookup of an unlinked multicore = %v, want ErrUnknownServerType", err)
	}
	if !strings.Contains(err.Error(), `import _ "github.com/gyro-rpc/gyro/multicore"`) {
		t.Errorf("error %q does not name the import", err)
	}
}

func TestRegisterServerTypeTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering thread twice did not panic")
		}
	}()
	RegisterServerType(config.ServerThread, newThreadServer)
}
