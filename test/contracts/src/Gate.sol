// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title Gate
/// @notice Accepts ETH while open and refuses it once closed: a recipient that changes its mind between the moment
/// a withdrawal's gas is estimated (open) and the block that executes it (closed), which puts a mined status-0
/// withdrawal on the chain, as a contract wallet that reverts would in production.
contract Gate {
    bool public open = true;

    error Closed();

    function close() external {
        open = false;
    }

    receive() external payable {
        if (!open) revert Closed();
    }
}
