package io.kubeoidc.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rule of {@link TrustedDirectory}, with modes and owners set by the test (it runs as root or as any user). */
class TrustedDirectoryTest {
    @TempDir
    Path tmp;

    private Path dir(String name, String mode) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(mode));
        return d;
    }

    @Test
    void privateAndReadableDirectoriesUnderStickyTmpAreTrusted() throws Exception {
        // @TempDir sits in /tmp (1777, root): sticky, so others cannot rename our entries in it.
        assertThatCode(() -> TrustedDirectory.check(dir("keys", "rwx------"), "key store", "700")).doesNotThrowAnyException();
        assertThatCode(() -> TrustedDirectory.check(dir("pki", "rwxr-xr-x"), "key store", "700")).doesNotThrowAnyException();
    }

    @Test
    void aDirectoryOthersCanWriteIsRefusedWithItsModeOwnerAndFix() throws Exception {
        Path keys = dir("keys", "rwxrwxrwx");
        String owner = Files.getOwner(keys).getName();
        assertThatThrownBy(() -> TrustedDirectory.check(keys, "key store", "700"))
                .isInstanceOf(UnsafeDirectoryException.class)
                .hasMessage("key store " + keys + " is writable by its group and every user (mode 0777, owner " + owner
                        + "): they could replace the files in it; fix: chmod 700 " + keys);
        Path group = dir("group", "rwxrwx---");
        assertThatThrownBy(() -> TrustedDirectory.check(group, "key store", "700"))
                .hasMessageContaining("is writable by its group (mode 0770");
    }

    @Test
    void aStickyWorldWritableDirectoryIsStillRefusedAsTheDirectoryItself() throws Exception {
        Path keys = dir("keys", "rwxrwxrwx");
        Files.setAttribute(keys, "unix:mode", 01777);
        assertThatThrownBy(() -> TrustedDirectory.check(keys, "key store", "700"))
                .hasMessageContaining("(mode 1777, owner ");
    }

    @Test
    void aNonStickyAncestorOthersCanWriteIsRefused() throws Exception {
        Path parent = dir("shared", "rwxrwxrwx");
        Path keys = dir("shared/keys", "rwx------");
        assertThatThrownBy(() -> TrustedDirectory.check(keys, "key store", "700"))
                .isInstanceOf(UnsafeDirectoryException.class)
                .hasMessageStartingWith(parent + ", a directory above key store " + keys
                        + ", is writable by its group and every user without the sticky bit (mode 0777, owner ")
                .hasMessageEndingWith("they could move keys away and put their own in its place;"
                        + " fix: chmod go-w " + parent + ", or choose a directory elsewhere");
        Files.setAttribute(parent, "unix:mode", 01777); // like /tmp
        assertThatCode(() -> TrustedDirectory.check(keys, "key store", "700")).doesNotThrowAnyException();
    }

    @Test
    void aDirectoryOwnedByAnotherUserIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.getAttribute(tmp, "unix:uid").equals(0), "chown needs root");
        Path keys = dir("keys", "rwx------");
        UserPrincipal nobody = keys.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(keys, nobody);
        assertThatThrownBy(() -> TrustedDirectory.check(keys, "key store", "700"))
                .hasMessage("key store " + keys + " is owned by nobody (uid 65534), not by this service's user (root) or"
                        + " root: that user could replace the files in it; fix: check what it holds, then chown root " + keys);
        Files.setOwner(keys, Files.getOwner(tmp));
        Path above = dir("theirs", "rwxr-xr-x");
        Path inside = dir("theirs/keys", "rwx------");
        Files.setOwner(above, nobody);
        assertThatThrownBy(() -> TrustedDirectory.check(inside, "key store", "700"))
                .hasMessageStartingWith(above + ", a directory above key store " + inside + ", is owned by nobody");
    }

    @Test
    void aSymbolicLinkIsCheckedAtItsTargetAndAlongTheWayToIt() throws Exception {
        Path loose = dir("loose", "rwxrwxrwx");
        Path link = Files.createSymbolicLink(tmp.resolve("keys"), loose);
        assertThatThrownBy(() -> TrustedDirectory.check(link, "key store", "700"))
                .hasMessageStartingWith("key store " + link + " (" + loose.toRealPath() + ") is writable by");
        Path shared = dir("shared", "rwxrwxrwx");
        Path linkInShared = Files.createSymbolicLink(shared.resolve("keys"), dir("private", "rwx------"));
        assertThatThrownBy(() -> TrustedDirectory.check(linkInShared, "key store", "700"))
                .hasMessageStartingWith(shared + ", a directory above key store " + linkInShared);
    }

    @Test
    void missingDirectoriesAreCreatedWithTheGivenModeAndNotFilesAreLeftToTheCaller() throws Exception {
        Path created = tmp.resolve("a/b");
        TrustedDirectory.create(created, PosixFilePermissions.fromString("rwxr-x---"), "key store");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created, LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rwxr-x---");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created.getParent()))).isEqualTo("rwxr-x---");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatCode(() -> TrustedDirectory.check(file, "key store", "700")).doesNotThrowAnyException();
        assertThatCode(() -> TrustedDirectory.check(tmp.resolve("absent"), "key store", "700")).doesNotThrowAnyException();
    }
}
