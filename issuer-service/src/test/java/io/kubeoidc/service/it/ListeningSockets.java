package io.kubeoidc.service.it;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/** The addresses the kernel says a TCP port listens on (/proc/net/tcp and tcp6): what a bind really did. */
final class ListeningSockets {
    private ListeningSockets() {}

    /** Local addresses of the sockets in state LISTEN on {@code port}; an IPv4-mapped IPv6 address comes back as IPv4. */
    static Set<InetAddress> addresses(int port) throws IOException {
        Set<InetAddress> addresses = new HashSet<>();
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(file)).stream().skip(1).toList()) {
                String[] f = line.strip().split("\\s+");
                String[] local = f[1].split(":");
                if (f[3].equals("0A") && Integer.parseInt(local[1], 16) == port) {
                    addresses.add(InetAddress.getByAddress(address(local[0])));
                }
            }
        }
        return addresses;
    }

    /** The kernel prints each 32-bit word of the address as a number, in the host's byte order. */
    private static byte[] address(String hex) {
        ByteBuffer printed = ByteBuffer.wrap(HexFormat.of().parseHex(hex));
        ByteBuffer memory = ByteBuffer.allocate(printed.capacity()).order(ByteOrder.nativeOrder());
        while (printed.hasRemaining()) {
            memory.putInt(printed.getInt());
        }
        return memory.array();
    }
}
