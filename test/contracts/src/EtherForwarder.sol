// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title EtherForwarder
/// @notice Passes the ETH it is sent on to `to` through an internal call. The top-level transaction's `to` is
/// this contract, not the deposit address, and nothing is logged: the deposit shows only as a balance change of
/// `to`, or as a CALL in a trace. This is how ETH arrives from a smart-contract wallet or an exchange's batch
/// payout, so the scanner tests use it to pin down how internal ETH transfers are handled.
contract EtherForwarder {
    error ForwardFailed(address to, uint256 value);

    function forward(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        // A failed inner call reverts the whole transaction, so no ETH is ever left behind here.
        if (!ok) revert ForwardFailed(to, msg.value);
    }
}
