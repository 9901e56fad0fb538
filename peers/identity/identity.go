// Package identity is a home's long-lived peer identity: an Ed25519 key
// pair and a self-signed certificate kept in HOME/identity.pem, and the
// device ID derived from that certificate, which is what peers pin.
package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// FileName is the identity's file inside a home.
const FileName = "identity.pem"

// validity is how long a new certificate is valid. Peers pin the
// certificate itself, so its dates only need to outlive the home.
const validity = 100 * 365 * 24 * time.Hour

// Identity is a home's key pair and certificate.
type Identity struct {
	// Cert is the TLS certificate with its private key.
	Cert tls.Certificate
	// ID is the SHA-256 of the certificate's DER bytes.
	ID DeviceID
}

// DER is the certificate's DER bytes.
func (i *Identity) DER() []byte { return i.Cert.Certificate[0] }

// LoadOrCreate reads dir/identity.pem, creating it first when it does not
// exist. The file is created atomically with mode 0600 and never replaced:
// when two processes create it at once, both end up with the one that won.
func LoadOrCreate(dir string) (*Identity, error) {
	path := filepath.Join(dir, FileName)
	id, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	data, err := generate()
	if err != nil {
		return nil, fmt.Errorf("create identity %s: %w", path, err)
	}
	if err := createAtomic(path, data); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create identity %s: %w", path, err)
	}
	return Load(path)
}

// Load reads an identity file.
func Load(path string) (*Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read identity: %w", err)
	}
	var certPEM, keyPEM []byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			certPEM = pem.EncodeToMemory(b)
		case "PRIVATE KEY":
			keyPEM = pem.EncodeToMemory(b)
		}
	}
	if certPEM == nil || keyPEM == nil {
		return nil, fmt.Errorf("identity %s: want a CERTIFICATE and a PRIVATE KEY block; the file is damaged (move it away to make a new identity, which peers must pair with again)", path)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", path, err)
	}
	return &Identity{Cert: cert, ID: IDFromCert(cert.Certificate[0])}, nil
}

// generate makes a new key pair and certificate, as PEM.
func generate() ([]byte, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "holdfast", Organization: []string{"Holdfast"}},
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"holdfast"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return nil, err
	}
	key, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...), nil
}

// createAtomic creates path with data and mode 0600 so that it either does
// not exist or holds all of data, even across a crash; it never replaces
// an existing file (the error then matches fs.ErrExist). The data goes to
// a synced temporary file that is hard-linked into place (a link, unlike a
// rename, fails when path exists); then the directory is synced.
func createAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// No hard links here: check, then rename.
		if _, serr := os.Lstat(path); serr == nil {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("rename into place: %w", err)
		}
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
